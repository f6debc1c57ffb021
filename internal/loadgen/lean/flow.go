package lean

import (
	"time"

	"golang.org/x/net/http2"
)

// grpc-go's BDP estimator (internal/transport/bdp_estimator.go, v1.85.0).
var bdpPing = [8]byte{2, 4, 16, 16, 9, 14, 7, 7}

const (
	bdpLimit = 16 << 20
	bdpAlpha = 0.9
	bdpBeta  = 0.66
	bdpGamma = 2
)

// Chromium's SETTINGS (net/spdy, as captured): HEADER_TABLE_SIZE,
// ENABLE_PUSH, INITIAL_WINDOW_SIZE, MAX_HEADER_LIST_SIZE, in this order.
const (
	chromeHeaderTableSize   = 65536
	chromeMaxHeaderListSize = 262144
)

// connFlow is a connection's receive flow control as the profile's client
// does it. For grpc-go: trInFlow (limit, unacked), the window new streams
// get, and the BDP estimator when the window is dynamic. For Chromium:
// the unacknowledged bytes and the time of the last WINDOW_UPDATE.
type connFlow struct {
	browser        bool
	limit, unacked uint32
	streamWin      uint32
	last           int64
	bdp            *bdpEst
}

// start writes the client's SETTINGS and connection WINDOW_UPDATE after
// the preface and sets the initial windows.
func (f *connFlow) start(cfg *Config, p *proc) {
	if cfg.Profile == ProfileBrowser {
		f.browser = true
		f.streamWin, f.last = ChromeStreamWindow, p.now.UnixNano()
		_ = p.fr.WriteSettings(
			http2.Setting{ID: http2.SettingHeaderTableSize, Val: chromeHeaderTableSize},
			http2.Setting{ID: http2.SettingEnablePush, Val: 0},
			http2.Setting{ID: http2.SettingInitialWindowSize, Val: ChromeStreamWindow},
			http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: chromeMaxHeaderListSize})
		_ = p.fr.WriteWindowUpdate(0, ChromeSessionWindow-DefaultWindow)
		return
	}
	// grpc-go (http2_client.go newHTTP2Client): SETTINGS carries the
	// window only when it is not the default; a larger connection window
	// is a WINDOW_UPDATE in the same write.
	w := uint32(DefaultWindow)
	if cfg.Profile == ProfileGRPCGoStatic {
		w = cfg.StaticWindow
	} else {
		f.bdp = &bdpEst{bdp: DefaultWindow}
	}
	f.limit, f.streamWin = w, w
	var ss []http2.Setting
	if w != DefaultWindow {
		ss = append(ss, http2.Setting{ID: http2.SettingInitialWindowSize, Val: w})
	}
	_ = p.fr.WriteSettings(ss...)
	if w > DefaultWindow {
		_ = p.fr.WriteWindowUpdate(0, w-DefaultWindow)
	}
}

// unit ends a write unit for a browser, which writes each frame on its
// own; grpc-go's loopy writer flushes everything queued in one write.
func (f *connFlow) unit(p *proc) {
	if f.browser {
		p.cut()
	}
}

// data accounts a DATA frame of size bytes (payload with padding) on
// stream st (nil when it is gone) and writes what the client writes back.
func (f *connFlow) data(p *proc, st *stream, size uint32) {
	if f.browser {
		f.chromeData(p, st, size)
		return
	}
	// http2Client.handleData: the BDP sample, trInFlow.onData, and before
	// a BDP ping the connection's unacknowledged bytes.
	ping := f.bdp != nil && f.bdp.add(size)
	f.unacked += size
	if f.unacked >= f.limit/4 {
		_ = p.fr.WriteWindowUpdate(0, f.unacked)
		f.unacked = 0
	}
	if ping {
		if f.unacked > 0 {
			_ = p.fr.WriteWindowUpdate(0, f.unacked)
			f.unacked = 0
		}
		_ = p.fr.WritePing(false, bdpPing)
		f.bdp.sentAt = p.now
	}
	if st == nil || size == 0 {
		return
	}
	// The stream's inFlow: the application reads the message at once
	// (onRead), and a WINDOW_UPDATE follows a quarter window of reads.
	st.update += size
	if st.update >= st.limit/4 {
		_ = p.fr.WriteWindowUpdate(st.id, st.update)
		st.update = 0
	}
}

// chromeData is SpdySession/SpdyStream::IncreaseRecvWindowSize for data
// consumed as it arrives: per scope, a WINDOW_UPDATE of everything
// unacknowledged once it is more than half the window or 5 s have passed
// since the scope's last one; the connection's first, each on its own.
func (f *connFlow) chromeData(p *proc, st *stream, size uint32) {
	if size == 0 {
		return
	}
	now := p.now.UnixNano()
	f.unacked += size
	if f.unacked > ChromeSessionWindow/2 || time.Duration(now-f.last) >= ChromeWindowUpdateAfter {
		_ = p.fr.WriteWindowUpdate(0, f.unacked)
		p.cut()
		f.unacked, f.last = 0, now
	}
	if st == nil {
		return
	}
	st.update += size
	if st.update > ChromeStreamWindow/2 || time.Duration(now-st.last) >= ChromeWindowUpdateAfter {
		_ = p.fr.WriteWindowUpdate(st.id, st.update)
		p.cut()
		st.update, st.last = 0, now
	}
}

// pingAck is the ack of a BDP ping: grpc-go's calculate, and when the
// estimate grows, updateFlowControl (a connection WINDOW_UPDATE, then
// SETTINGS with the new stream window).
func (f *connFlow) pingAck(s *h2sess, p *proc) {
	if f.bdp == nil {
		return
	}
	n, grow := f.bdp.calculate(p.now)
	if !grow {
		return
	}
	for _, st := range s.streams {
		st.limit = n
	}
	f.streamWin = n
	_ = p.fr.WriteWindowUpdate(0, n-f.limit)
	f.limit = n
	_ = p.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: n})
}

// bdpEst is grpc-go's bdpEstimator.
type bdpEst struct {
	bdp, sample uint32
	isSent      bool
	sentAt      time.Time
	sampleCount uint64
	rtt, bwMax  float64
}

// add adds n bytes to the sample; true when a BDP ping must be sent.
func (b *bdpEst) add(n uint32) bool {
	if b.bdp == bdpLimit {
		return false
	}
	if !b.isSent {
		b.isSent = true
		b.sample = n
		b.sentAt = time.Time{}
		b.sampleCount++
		return true
	}
	b.sample += n
	return false
}

// calculate takes the ping's round trip and returns the new BDP when the
// estimate grows.
func (b *bdpEst) calculate(now time.Time) (uint32, bool) {
	rtt := now.Sub(b.sentAt).Seconds()
	if b.sampleCount < 10 {
		b.rtt += (rtt - b.rtt) / float64(b.sampleCount)
	} else {
		b.rtt += (rtt - b.rtt) * bdpAlpha
	}
	b.isSent = false
	bw := float64(b.sample) / (b.rtt * 1.5)
	if bw > b.bwMax {
		b.bwMax = bw
	}
	if float64(b.sample) >= bdpBeta*float64(b.bdp) && bw == b.bwMax && b.bdp != bdpLimit {
		b.bdp = uint32(min(bdpGamma*float64(b.sample), bdpLimit))
		return b.bdp, true
	}
	return 0, false
}
