package subscribe

import (
	"errors"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// terminalCodes are the stream failures that end Run, because the next
// attempt would send the same request to the same backend and fail the same
// way. Every other code, and every transport error, is worth a reconnect:
// Unavailable and Internal come and go with backends, Aborted means a newer
// subscription with our id replaced this one (a deploy overlap),
// ResourceExhausted means we fell behind and resuming from our cursor is the
// remedy.
var terminalCodes = map[codes.Code]string{
	// The request itself is wrong (empty client id, malformed cursor); only
	// a different request can succeed.
	codes.InvalidArgument: "the request is invalid",
	// Our credentials are missing or rejected; retrying sends the same ones.
	codes.Unauthenticated: "the credentials are rejected",
	// We are authenticated but not allowed; a retry changes nothing.
	codes.PermissionDenied: "the subscription is not permitted",
	// The server does not serve Push.SubscribePush at all: a wrong address
	// or an incompatible version, which no delay fixes.
	codes.Unimplemented: "the server does not implement SubscribePush",
}

// codeOf names the outcome of a stream for logs and metrics. io.EOF is how
// grpc-go reports a stream the server ended with status OK; Run reports it
// as ErrStreamClosed.
func codeOf(err error) codes.Code {
	if errors.Is(err, io.EOF) || errors.Is(err, ErrStreamClosed) {
		return codes.OK
	}
	return status.Code(err)
}

// IsTerminal reports whether a stream that failed with code c should not be
// retried, so other stream loops (tail's gateway client) share the rule.
func IsTerminal(c codes.Code) bool {
	_, ok := terminalCodes[c]
	return ok
}
