package tui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/loadgen"
)

// runAsync starts Run and returns its result channel.
func runAsync(ctx context.Context, ch <-chan loadgen.Snapshot, in io.Reader, out io.Writer, o Options) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, ch, in, out, o) }()
	return errc
}

// await fails the test unless errc yields before the deadline of wait.
func await(t *testing.T, wait context.Context, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-wait.Done():
		t.Fatal("Run did not return before the deadline")
		return nil
	}
}

func TestRunEndsWhenFeedCloses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ch := make(chan loadgen.Snapshot, 1)
	ch <- fullSnapshot()
	close(ch)
	var out bytes.Buffer
	if err := await(t, ctx, runAsync(ctx, ch, strings.NewReader(""), &out, testOptions())); err != nil {
		t.Fatalf("Run(closed feed) = %v, want nil", err)
	}
	for _, want := range []string{"bytes/heartbeat", "protobuf"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Run(closed feed) output lacks %q: %q", want, out.String())
		}
	}
}

// quitter counts OnQuit calls and signals the first.
type quitter struct {
	calls atomic.Int32
	first chan struct{}
}

func newQuitter() *quitter { return &quitter{first: make(chan struct{})} }

func (q *quitter) onQuit() {
	if q.calls.Add(1) == 1 {
		close(q.first)
	}
}

func (q *quitter) wait(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-q.first:
	case <-ctx.Done():
		t.Fatal("OnQuit was not called before the deadline")
	}
}

func TestRunQuitKeyWaitsForFeed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	q := newQuitter()
	o := testOptions()
	o.OnQuit = q.onQuit
	ch := make(chan loadgen.Snapshot)
	errc := runAsync(ctx, ch, pr, io.Discard, o)

	ch <- fullSnapshot()
	if _, err := pw.Write([]byte("q")); err != nil {
		t.Fatalf("write q: %v", err)
	}
	q.wait(t, ctx)
	// The program still takes snapshots after q: it waits for the engine.
	select {
	case ch <- fullSnapshot():
	case <-ctx.Done():
		t.Fatal("Run stopped reading snapshots after q")
	}
	if _, err := pw.Write([]byte("q")); err != nil {
		t.Fatalf("write second q: %v", err)
	}
	close(ch)
	if err := await(t, ctx, errc); err != nil {
		t.Errorf("Run after q and a closed feed = %v, want nil", err)
	}
	if n := q.calls.Load(); n != 1 {
		t.Errorf("OnQuit calls = %d, want 1", n)
	}
}

func TestRunSecondCtrlCQuits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	q := newQuitter()
	o := testOptions()
	o.OnQuit = q.onQuit
	ch := make(chan loadgen.Snapshot) // never closed: the engine is stuck
	errc := runAsync(ctx, ch, pr, io.Discard, o)

	ch <- fullSnapshot()
	if _, err := pw.Write([]byte("\x03")); err != nil {
		t.Fatalf("write ctrl+c: %v", err)
	}
	q.wait(t, ctx)
	if _, err := pw.Write([]byte("\x03")); err != nil {
		t.Fatalf("write second ctrl+c: %v", err)
	}
	if err := await(t, ctx, errc); err != nil {
		t.Errorf("Run after two ctrl+c = %v, want nil", err)
	}
	if n := q.calls.Load(); n != 1 {
		t.Errorf("OnQuit calls = %d, want 1", n)
	}
}

func TestRunContextCancelled(t *testing.T) {
	wait, cancelWait := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelWait()
	ctx, cancel := context.WithCancel(wait)
	ch := make(chan loadgen.Snapshot) // never closed
	errc := runAsync(ctx, ch, strings.NewReader(""), io.Discard, testOptions())
	ch <- fullSnapshot()
	cancel()
	if err := await(t, wait, errc); !errors.Is(err, context.Canceled) {
		t.Errorf("Run(cancelled ctx) = %v, want context.Canceled", err)
	}
}
