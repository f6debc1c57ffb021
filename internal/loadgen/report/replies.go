package report

import (
	"time"

	"galaxy/galaxyctl/internal/loadgen/wire"
)

// Profiles and engines, as a run's configuration names them.
const (
	EngineGRPCGo        = "grpc-go"
	ProfileGRPCGo       = "grpc-go"
	ProfileGRPCGoStatic = "grpc-go-static"
	ProfileBrowser      = "browser"
)

// Frame sizes of the client's replies: WINDOW_UPDATE and PING.
const (
	windowUpdateLen = wire.FrameHeaderLen + 4
	pingLen         = wire.FrameHeaderLen + 8
	// defaultWindow is HTTP/2's initial window, grpc-go's unless static.
	defaultWindow = 65535
	// chromeUpdateAfter is Chromium's kDefaultTimeToBufferSmallWindowUpdates.
	chromeUpdateAfter = 5 * time.Second
)

// replyModel is what the profile's client writes back per heartbeat, in
// HTTP/2 frame bytes by kind (WINDOW_UPDATE, PING), where its rules make
// it exact; ok is false where they do not (HTTP/1.1 has no replies to
// model; Chromium's 5 s rule at intervals under 5 s depends on where the
// heartbeats fall).
//
//   - grpc-go: WINDOW_UPDATE(0) and a BDP PING after every heartbeat, and
//     a stream WINDOW_UPDATE once a quarter of the 65,535-byte window has
//     been read: 13 + 13/683 and 17 bytes for 24-byte DATA payloads.
//   - grpc-go-static: a connection and a stream WINDOW_UPDATE once a
//     quarter of the window has been read: 26/683 bytes.
//   - browser (HTTP/2, interval ≥ 5 s): a WINDOW_UPDATE for the connection
//     and one for the stream after every heartbeat: 26 bytes.
func replyModel(c ConfigEcho, m Model, interval time.Duration) (wu, ping float64, ok bool) {
	data := m.Message + m.Envelope // DATA payload per heartbeat
	every := func(window int) float64 {
		quarter := float64(window / 4)
		n := float64(int((quarter + data - 1) / data)) // heartbeats to reach it
		return windowUpdateLen / n
	}
	switch {
	case c.HTTP == "1.1":
		return 0, 0, false
	case c.Profile == ProfileGRPCGo || (c.Profile == "" && c.ClientWindow == WindowDynamic):
		return windowUpdateLen + every(defaultWindow), pingLen, true
	case c.Profile == ProfileGRPCGoStatic || (c.Profile == "" && c.ClientWindow == WindowStatic):
		w := int(c.StaticWindow)
		if w == 0 {
			w = defaultWindow
		}
		return 2 * every(w), 0, true
	case c.Profile == ProfileBrowser && interval >= chromeUpdateAfter:
		return 2 * windowUpdateLen, 0, true
	}
	return 0, 0, false
}
