package gateway

import (
	"errors"
	"io"
	"net"
	"testing"

	"google.golang.org/grpc/mem"
)

// TestConnReadOnReady reads a tracked plain TCP connection the way grpc-go
// reads one it can read without pinning a buffer: bytes that arrive come
// back in a buffer from the pool, and the peer's close is io.EOF.
func TestConnReadOnReady(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Close() }()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c := NewConnTracker(nil).track(server)
	defer func() { _ = c.Close() }()
	if rawReadSupported && c.rr.raw == nil {
		t.Fatalf("track(%T).rr.raw = nil, want the socket's raw conn for non-pinning reads", server)
	}

	// The interface grpc-go looks for (readyreader.Reader).
	var rr interface {
		ReadOnReady(int, mem.BufferPool) (*[]byte, int, error)
	} = c
	pool := mem.DefaultBufferPool()
	if _, err := client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf, n, err := rr.ReadOnReady(64, pool)
	if err != nil || string((*buf)[:n]) != "hello" {
		t.Fatalf("ReadOnReady(64) = %q, %v, want \"hello\", nil", (*buf)[:n], err)
	}
	pool.Put(buf)
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if buf, n, err := rr.ReadOnReady(64, pool); !errors.Is(err, io.EOF) || n != 0 || buf != nil {
		t.Errorf("ReadOnReady after the peer closed = %v, %d, %v, want nil, 0, io.EOF", buf, n, err)
	}
}
