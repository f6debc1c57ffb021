package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// describeRPCError turns a gRPC status into one line a person can act on:
// the code name and the server's message, with a hint for the usual causes.
// The status is the innermost one in err's chain, so a wrapped status reads
// "Unavailable: backend shutting down", not its whole chain of wrappers.
func describeRPCError(err error) error {
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) {
		return err
	}
	st := se.GRPCStatus()
	msg := st.Message()
	if tlsMsg, ok := describeTLSError(msg); ok {
		return &rpcError{code: st.Code(), msg: fmt.Sprintf("%s: %s", st.Code(), tlsMsg), err: err}
	}
	return &rpcError{code: st.Code(), msg: fmt.Sprintf("%s: %s%s", st.Code(), plainMessage(msg), rpcHint(st.Code(), msg)), err: err}
}

// plainMessage strips grpc-go's wrappers from a transport failure, whose
// message nests a second description in the first:
//
//	connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"
//
// reads "dial tcp 127.0.0.1:1: connect: connection refused".
func plainMessage(msg string) string {
	if rest, ok := strings.CutPrefix(msg, "connection error: desc = "); ok {
		if u, err := strconv.Unquote(rest); err == nil {
			rest = u
		}
		msg = rest
	}
	for _, p := range []string{"transport: ", "Error while dialing: ", "Error while dialing "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

// rpcHint names the usual cause of a failure, or returns "".
func rpcHint(code codes.Code, msg string) string {
	switch code {
	case codes.Unavailable:
		switch {
		case strings.Contains(msg, "shutting down"):
			// The server said why; a hint would only blur it.
			return ""
		case strings.Contains(msg, "server preface"):
			// A TLS server closes a plaintext connection before its preface.
			return " (is the server serving TLS? then connect with --tls or --cacert FILE)"
		}
		return " (is the server running, and is --addr right?)"
	case codes.Unimplemented:
		return " (is --addr a galaxy server of the right role?)"
	}
	return ""
}

// tlsMarkers are what grpc-go's handshake errors contain when the server's
// certificate fails verification; no retry can fix those.
var tlsMarkers = []string{"x509: ", "tls: failed to verify certificate"}

// isTLSFailure says whether err is a TLS failure that no retry can fix: the
// server's certificate fails verification, or the server does not speak TLS.
func isTLSFailure(err error) bool {
	if err == nil {
		return false
	}
	_, ok := describeTLSError(err.Error())
	return ok
}

// describeTLSError rewrites a certificate verification failure as what to
// do about it. It reports false for any other message.
func describeTLSError(msg string) (string, bool) {
	i := -1
	for _, m := range tlsMarkers {
		if j := strings.Index(msg, m); j >= 0 && (i < 0 || j < i) {
			i = j
		}
	}
	switch {
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		return "the server does not serve TLS: drop --tls, --cacert and --insecure-skip-verify", true
	case i < 0:
		return "", false
	}
	// The x509 reason, without grpc-go's wrappers around it.
	reason := strings.TrimRight(msg[i:], `"`)
	if j := strings.LastIndex(reason, "x509: "); j >= 0 {
		reason = reason[j:]
	}
	switch {
	case strings.Contains(reason, "unknown authority"), strings.Contains(reason, "not standards compliant"):
		return fmt.Sprintf("the server's certificate is not trusted (%s): pass the CA that signed it with --cacert FILE (serve --tls-self-signed names it as tls_ca_file in its --ready-file), or skip the check with --insecure-skip-verify", reason), true
	case strings.Contains(reason, "certificate is valid for"), strings.Contains(reason, "cannot validate certificate"):
		return fmt.Sprintf("the server's certificate does not name the host of --addr (%s): connect by a name it holds", reason), true
	}
	return fmt.Sprintf("the server's certificate failed verification (%s)", reason), true
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
