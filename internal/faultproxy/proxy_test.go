package faultproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
)

func TestForwardsBothWays(t *testing.T) {
	ctx := testContext(t)
	e := newEchoServer(t, "")
	p := startProxy(t, ctx, Config{Target: e.addr()})
	c := dial(t, ctx, p.Addr())
	for _, msg := range []string{"hello", "world"} {
		if got, err := roundTrip(c, msg, msg); err != nil || got != msg {
			t.Fatalf("roundTrip(%q) = %q, %v, want %q, nil", msg, got, err, msg)
		}
	}
	if got := p.Conns(); got != 1 {
		t.Errorf("Conns() with one client = %d, want 1", got)
	}
	_ = c.Close()
	if err := p.WaitConns(ctx, 0); err != nil {
		t.Fatalf("WaitConns(0) after the client closed = %v", err)
	}
	if err := e.waitOpen(ctx, 0); err != nil {
		t.Fatalf("echo server connections after the client closed: %v, want none open", err)
	}
	s := p.Stats()
	if s.Accepted != 1 || s.Forwarded != 20 || s.Discarded != 0 {
		t.Errorf("Stats() = %+v, want Accepted 1, Forwarded 20, Discarded 0", s)
	}
}

// TestPassesHalfClose checks that an orderly end is forwarded as a FIN, not
// a reset: the client half-closes, the server still answers, then closes.
func TestPassesHalfClose(t *testing.T) {
	ctx := testContext(t)
	e := newEchoServer(t, "")
	p := startProxy(t, ctx, Config{Target: e.addr()})
	c := dial(t, ctx, p.Addr())
	if _, err := c.Write([]byte("last words")); err != nil {
		t.Fatalf("Write = %v", err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatalf("CloseWrite = %v", err)
	}
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "last words" {
		t.Errorf("ReadAll after CloseWrite = %q, %v, want %q, nil", got, err, "last words")
	}
}

func TestDialFailureResetsClient(t *testing.T) {
	ctx := testContext(t)
	// A port that was just free: nothing listens there now.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	_ = ln.Close()

	p := startProxy(t, ctx, Config{Target: dead})
	if err := dialAndRead(ctx, p.Addr()); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("dial and Read through a proxy whose target is down = %v, want ECONNRESET", err)
	}
	if err := p.Wait(ctx, func(s Stats) bool { return s.DialFailed == 1 }); err != nil {
		t.Errorf("Stats().DialFailed = %d, want 1: %v", p.Stats().DialFailed, err)
	}
}

func TestSetTargetMovesNewConnections(t *testing.T) {
	ctx := testContext(t)
	a, b := newEchoServer(t, "a:"), newEchoServer(t, "b:")
	p := startProxy(t, ctx, Config{Target: a.addr()})
	old := dial(t, ctx, p.Addr())
	if got, err := roundTrip(old, "1", "a:1"); err != nil || got != "a:1" {
		t.Fatalf("roundTrip before SetTarget = %q, %v, want %q", got, err, "a:1")
	}
	if err := p.SetTarget(b.addr()); err != nil {
		t.Fatalf("SetTarget(%s) = %v", b.addr(), err)
	}
	moved := dial(t, ctx, p.Addr())
	if got, err := roundTrip(moved, "2", "b:2"); err != nil || got != "b:2" {
		t.Errorf("roundTrip on a new connection after SetTarget = %q, %v, want %q", got, err, "b:2")
	}
	if got, err := roundTrip(old, "3", "a:3"); err != nil || got != "a:3" {
		t.Errorf("roundTrip on the old connection after SetTarget = %q, %v, want %q", got, err, "a:3")
	}
}

func TestCloseResetsAndStops(t *testing.T) {
	ctx := testContext(t)
	e := newEchoServer(t, "")
	p := startProxy(t, ctx, Config{Target: e.addr()})
	c := dial(t, ctx, p.Addr())
	if _, err := roundTrip(c, "x", "x"); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("Read after Close = %v, want ECONNRESET", err)
	}
	if got := p.Conns(); got != 0 {
		t.Errorf("Conns() after Close = %d, want 0", got)
	}
	var d net.Dialer
	if c2, err := d.DialContext(ctx, "tcp", p.Addr()); err == nil {
		_ = c2.Close()
		t.Errorf("dial %s after Close succeeded, want connection refused", p.Addr())
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
}

func TestStopsWhenContextEnds(t *testing.T) {
	ctx := testContext(t)
	e := newEchoServer(t, "")
	pctx, cancel := context.WithCancel(ctx)
	p := startProxy(t, pctx, Config{Target: e.addr()})
	c := dial(t, ctx, p.Addr())
	if _, err := roundTrip(c, "x", "x"); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-p.Done():
	case <-ctx.Done():
		t.Fatal("Done() not closed after the Start context ended")
	}
	if _, err := c.Read(make([]byte, 1)); !isReset(err) {
		t.Errorf("Read after the Start context ended = %v, want a reset", err)
	}
}
