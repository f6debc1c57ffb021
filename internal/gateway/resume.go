package gateway

import (
	"google.golang.org/grpc/metadata"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// startLocked decides where a stream with lastID starts in the window and
// returns its response header, with the keys the backend's SubscribePush
// uses, so one client library reads both:
//
//   - no lastID: live, from the next event dispatched;
//   - lastID in the window, or the newest event ever dispatched: resume,
//     from the event after it;
//   - any other lastID: reset, the whole window. The gateway treats event
//     ids as opaque, so it cannot tell an id that aged out from one of
//     another backend incarnation, nor count what the client missed:
//     galaxy-missed-events says "unknown".
//
// galaxy-resume-cursor is the id just before the stream's first event:
// where a client that breaks off before receiving anything must resume. It
// is absent after a reset (the client keeps its own id: resuming with it
// again replays the window again, and nothing was received twice) and
// while the gateway has dispatched nothing.
func (s *Server) startLocked(lastID string) (uint64, metadata.MD) {
	md := metadata.MD{}
	start := s.win.next
	switch seq, found := s.win.find(lastID); {
	case lastID == "":
		md.Set(pushv1.MetadataStart, pushv1.StartLive)
	case found:
		start = seq + 1
		md.Set(pushv1.MetadataStart, pushv1.StartResume)
	case lastID == s.win.lastID:
		md.Set(pushv1.MetadataStart, pushv1.StartResume)
	default:
		start = s.win.oldest()
		md.Set(pushv1.MetadataStart, pushv1.StartReset)
		md.Set(pushv1.MetadataMissed, pushv1.MissedUnknown)
		return start, md
	}
	switch {
	case lastID != "":
		md.Set(pushv1.MetadataResumeCursor, lastID)
	case s.win.lastID != "":
		md.Set(pushv1.MetadataResumeCursor, s.win.lastID)
	}
	return start, md
}

// first returns md's first value for key, or "".
func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}
