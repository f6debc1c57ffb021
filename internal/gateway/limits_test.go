package gateway

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// TestSubscribeUserIDLimit: a filter is held for a stream's life, so its
// size is bounded; at the bound it is served.
func TestSubscribeUserIDLimit(t *testing.T) {
	ctx := testContext(t)
	e := newEnv(t, Config{})
	c := e.dial(t)
	tests := []struct {
		n    int
		code codes.Code
		msg  string
	}{
		{MaxUserIDBytes, codes.OK, ""},
		{MaxUserIDBytes + 1, codes.InvalidArgument, "user_id is 1025 bytes, over the limit of 1024 bytes"},
		{1 << 19, codes.InvalidArgument, "user_id is 524288 bytes, over the limit of 1024 bytes"},
	}
	for _, tt := range tests {
		st, err := c.Subscribe(ctx, &gatewayv1.SubscribeRequest{UserId: strings.Repeat("u", tt.n)})
		if err == nil {
			_, err = st.Header()
		}
		if err == nil && tt.code != codes.OK {
			_, err = st.Recv()
		}
		if s := status.Convert(err); s.Code() != tt.code || s.Message() != tt.msg {
			t.Errorf("Subscribe(user_id of %d bytes) = %v, want %v %q", tt.n, err, tt.code, tt.msg)
		}
	}
	if got := e.gw.clients(); got != 1 {
		t.Errorf("clients() = %d, want 1 (only the stream at the limit)", got)
	}
}
