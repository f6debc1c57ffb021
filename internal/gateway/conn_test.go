package gateway

import (
	"bytes"
	"testing"

	"golang.org/x/net/http2"
)

// TestFrameCounter writes real HTTP/2 frames and feeds them to the counter
// in every split, so frame headers cut across writes are followed.
func TestFrameCounter(t *testing.T) {
	var buf bytes.Buffer
	fr := http2.NewFramer(&buf, nil)
	_ = fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	_ = fr.WriteData(1, false, bytes.Repeat([]byte("x"), 300))
	_ = fr.WritePing(false, [8]byte{})
	_ = fr.WriteData(3, true, nil)
	_ = fr.WriteData(3, false, []byte("hello"))
	_ = fr.WriteWindowUpdate(0, 10)
	stream := buf.Bytes()
	const want = 305
	for split := range len(stream) {
		var f frameCounter
		got := f.count(stream[:split]) + f.count(stream[split:])
		if got != want {
			t.Fatalf("count in two writes split at %d = %d, want %d", split, got, want)
		}
	}
	var f frameCounter
	got := 0
	for _, b := range stream {
		got += f.count([]byte{b})
	}
	if got != want {
		t.Errorf("count byte by byte = %d, want %d", got, want)
	}
}
