package pipeline

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// TestMemListenerConnects dials, accepts and carries bytes both ways.
func TestMemListenerConnects(t *testing.T) {
	ctx := testContext(t)
	l := newMemListener()
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Errorf("Accept() = %v, want a connection", err)
		}
		accepted <- c
	}()
	client, err := l.DialContext(ctx, "ignored")
	if err != nil {
		t.Fatalf("DialContext() = %v, want nil", err)
	}
	defer client.Close()
	server := <-accepted
	defer server.Close()

	go func() { _, _ = client.Write([]byte("ping")) }()
	buf := make([]byte, 4)
	if _, err := io.ReadFull(server, buf); err != nil || string(buf) != "ping" {
		t.Errorf("server read = %q, %v, want ping", buf, err)
	}
	go func() { _, _ = server.Write([]byte("pong")) }()
	if _, err := io.ReadFull(client, buf); err != nil || string(buf) != "pong" {
		t.Errorf("client read = %q, %v, want pong", buf, err)
	}
	if got := l.Addr(); got.Network() != "mem" || got.String() != "in-process" {
		t.Errorf("Addr() = %s %s, want mem in-process", got.Network(), got)
	}
	// Closing one end is the other's end of stream.
	client.Close()
	if _, err := server.Read(buf); !errors.Is(err, io.EOF) {
		t.Errorf("server Read() after the client closed = %v, want EOF", err)
	}
}

// TestMemListenerDeadlines checks that the connections honour deadlines,
// which gRPC's transport sets.
func TestMemListenerDeadlines(t *testing.T) {
	ctx := testContext(t)
	l := newMemListener()
	defer l.Close()
	go func() {
		if c, err := l.Accept(); err == nil {
			defer c.Close()
			<-ctx.Done()
		}
	}()
	client, err := l.DialContext(ctx, "")
	if err != nil {
		t.Fatalf("DialContext() = %v", err)
	}
	defer client.Close()
	if err := client.SetReadDeadline(time.Now().Add(time.Millisecond)); err != nil {
		t.Fatalf("SetReadDeadline() = %v", err)
	}
	if _, err := client.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read() past its deadline = %v, want %v", err, os.ErrDeadlineExceeded)
	}
	if err := client.SetWriteDeadline(time.Now().Add(time.Millisecond)); err != nil {
		t.Fatalf("SetWriteDeadline() = %v", err)
	}
	if _, err := client.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Write() nobody reads past its deadline = %v, want %v", err, os.ErrDeadlineExceeded)
	}
}

func TestMemListenerClose(t *testing.T) {
	ctx := testContext(t)
	l := newMemListener()
	blocked := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		blocked <- err
	}()
	if err := l.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := <-blocked; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept() blocked across Close = %v, want %v", err, net.ErrClosed)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept() after Close = %v, want %v", err, net.ErrClosed)
	}
	if c, err := l.DialContext(ctx, ""); !errors.Is(err, net.ErrClosed) {
		t.Errorf("DialContext() after Close = %v, %v, want %v", c, err, net.ErrClosed)
	}
}

// TestMemListenerDialCancelled dials with nobody accepting: the dial ends
// with its context.
func TestMemListenerDialCancelled(t *testing.T) {
	l := newMemListener()
	defer l.Close()
	ctx, cancel := context.WithTimeout(testContext(t), 10*time.Millisecond)
	defer cancel()
	if c, err := l.DialContext(ctx, ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("DialContext() with nobody accepting = %v, %v, want %v", c, err, context.DeadlineExceeded)
	}
}

// TestMemListenerGRPC serves a health service over the listener and calls
// it, then stops both; TestMain's leak check covers what they leave.
func TestMemListenerGRPC(t *testing.T) {
	ctx := testContext(t)
	l := newMemListener()
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	conn, err := grpc.NewClient("passthrough:///mem", grpc.WithContextDialer(l.DialContext),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("grpc.NewClient() = %v", err)
	}
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("Check() over the in-process listener = %v, %v, want SERVING", resp, err)
	}
	conn.Close()
	srv.Stop()
	if err := <-served; err != nil {
		t.Errorf("Serve() after Stop = %v, want nil", err)
	}
}
