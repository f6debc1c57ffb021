package subscribe

import (
	"strconv"

	"google.golang.org/grpc/metadata"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// StartInfo is how one stream started, from the response header metadata the
// backend sends before its first event. A subscriber reports it so that an
// operator can see that a resume fell back to a replay of the whole ring, and
// how many events were lost to it.
type StartInfo struct {
	// Start is one of pushv1.StartLive, StartOldest, StartResume or
	// StartReset; empty when the backend sent none.
	Start string
	// ResetReason is pushv1.ReasonExpired or ReasonIncarnation with
	// StartReset; empty otherwise.
	ResetReason string
	// Missed is how many events were lost with StartReset, or -1 when the
	// backend does not know or did not say.
	Missed int64
	// Incarnation identifies the backend process serving the stream; a
	// change between streams means the backend restarted.
	Incarnation string
	// Attempt is 0 for the first stream of Run and otherwise one more than
	// the attempt passed to the OnRetry that preceded this stream: 1 for a
	// reconnect right after a stream that delivered events, growing while
	// failures repeat.
	Attempt int
	// Cursor is the cursor the request carried: empty for a live or
	// from-start stream.
	Cursor string
}

// parseStart reads the stream-start keys from a header. Malformed values are
// reported as absent rather than failing the stream: the events that follow
// are still good, and the header is informational.
func parseStart(md metadata.MD, attempt int, cursor string) StartInfo {
	info := StartInfo{
		Start:       first(md, pushv1.MetadataStart),
		ResetReason: first(md, pushv1.MetadataResetReason),
		Missed:      -1,
		Incarnation: first(md, pushv1.MetadataIncarnation),
		Attempt:     attempt,
		Cursor:      cursor,
	}
	// pushv1.MissedUnknown and anything else that is not a count stay -1.
	if n, err := strconv.ParseInt(first(md, pushv1.MetadataMissed), 10, 64); err == nil && n >= 0 {
		info.Missed = n
	}
	return info
}

func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}
