package pushv1

// Response header metadata that SubscribePush sends before its first event,
// so a subscriber knows how its stream started. These keys are part of the
// protocol: a gateway and a backend of different versions must agree on them.
const (
	// MetadataStart says where the stream starts: one of the Start* values.
	MetadataStart = "galaxy-start"
	// MetadataMissed is the number of events the subscriber missed because
	// its cursor's event was evicted, in decimal, or "unknown" when the
	// cursor came from an earlier backend incarnation. Only sent with
	// StartReset.
	MetadataMissed = "galaxy-missed-events"
	// MetadataResetReason says why a cursor could not be resumed: one of the
	// Reason* values. Only sent with StartReset.
	MetadataResetReason = "galaxy-reset-reason"
	// MetadataResumeCursor is the cursor just before the stream's first
	// event: where a subscriber that has handled nothing yet must resume if
	// this stream breaks. Without it a live subscriber that drops before its
	// first event would reconnect live again and lose what was published in
	// between; after a reset it also stops the same loss being counted twice.
	MetadataResumeCursor = "galaxy-resume-cursor"
	// MetadataIncarnation identifies the backend incarnation serving the
	// stream, as the hex string embedded in its cursors.
	MetadataIncarnation = "galaxy-incarnation"
)

// Values of MetadataStart.
const (
	// StartLive: no cursor was given; only events published from now on.
	StartLive = "live"
	// StartOldest: from_start was set; every event the ring holds, then live.
	StartOldest = "oldest"
	// StartResume: the cursor was found; every event after it, then live.
	StartResume = "resume"
	// StartReset: the cursor could not be resumed; the whole ring, then live.
	StartReset = "reset"
)

// Values of MetadataResetReason.
const (
	// ReasonExpired: the cursor's event has been evicted from the ring.
	ReasonExpired = "expired"
	// ReasonIncarnation: the cursor belongs to an earlier backend incarnation.
	ReasonIncarnation = "incarnation"
)

// MissedUnknown is the MetadataMissed value when the count cannot be known.
const MissedUnknown = "unknown"
