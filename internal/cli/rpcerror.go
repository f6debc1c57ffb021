package cli

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// describeRPCError turns a gRPC status into one line a person can act on:
// the code name and the server's message, with a hint for the usual causes.
func describeRPCError(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	hint := ""
	switch st.Code() {
	case codes.Unavailable:
		hint = " (is the server running, and is --addr right?)"
	case codes.Unimplemented:
		hint = " (is --addr a galaxy server of the right role?)"
	}
	return &rpcError{code: st.Code(), msg: fmt.Sprintf("%s: %s%s", st.Code(), st.Message(), hint), err: err}
}

type rpcError struct {
	code codes.Code
	msg  string
	err  error
}

func (e *rpcError) Error() string { return e.msg }
func (e *rpcError) Unwrap() error { return e.err }

// GRPCStatus keeps status.Code working through the wrapper.
func (e *rpcError) GRPCStatus() *status.Status {
	var s interface{ GRPCStatus() *status.Status }
	if errors.As(e.err, &s) {
		return s.GRPCStatus()
	}
	return status.New(e.code, e.msg)
}
