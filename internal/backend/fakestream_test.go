package backend

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// fakeStream is the server side of a SubscribePush call without a network,
// for tests that must control exactly when Send returns, and for
// benchmarks that measure the backend alone. Only the methods the backend
// calls are implemented.
type fakeStream struct {
	grpc.ServerStream
	ctx context.Context
	// send, if set, is called for every event; nil discards them.
	send func(*pushv1.PushEvent) error
}

func (f *fakeStream) Context() context.Context { return f.ctx }

func (f *fakeStream) SendHeader(metadata.MD) error { return nil }

func (f *fakeStream) Send(ev *pushv1.PushEvent) error {
	if f.send == nil {
		return nil
	}
	return f.send(ev)
}
