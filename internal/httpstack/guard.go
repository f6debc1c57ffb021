package httpstack

import (
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"

	"galaxy/galaxyctl/proto/galaxy/gateway/v1/gatewayv1connect"
)

// StreamContentTypes are the request content types connect-go serves for a
// streaming method with the proto and JSON codecs: Connect, gRPC and
// gRPC-Web. A test checks the list against connect-go itself.
var StreamContentTypes = []string{
	"application/connect+proto", "application/connect+json",
	"application/grpc", "application/grpc+proto", "application/grpc+json",
	"application/grpc-web", "application/grpc-web+proto", "application/grpc-web+json",
}

// Messages of the refusals the guard makes.
const (
	msgGRPCOverHTTP1 = "gRPC needs HTTP/2 (grpc-go refuses it over HTTP/1.1 too); over HTTP/1.1 use gRPC-Web (application/grpc-web+proto) or Connect (application/connect+json)"
	msgGRPCWebText   = "application/grpc-web-text (base64 gRPC-Web) is not served: send binary gRPC-Web (application/grpc-web+proto or +json), as connect-web's gRPC-Web transport does, or Connect"
	msgSubscribeVerb = "Subscribe is a server-streaming method: call it with POST (Connect's GET is only for side-effect-free unary methods)"
)

// guard answers the requests that connect-go would refuse with an empty
// body, or would serve against the house rules, with the protocol's
// status and a message that says what to send instead; it passes the rest.
//
//   - gRPC over HTTP/1.1: connect-go would serve it; grpc-go refuses it,
//     and so does this gateway, alike on every connection (505).
//   - gRPC-Web in base64 text: connect-go has no such codec (415).
//   - Subscribe by another verb than POST (405), or with a content type it
//     does not serve (415, listing those it does in Accept-Post).
func guard(next http.Handler) http.Handler {
	subscribe := gatewayv1connect.GatewaySubscribeProcedure
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := mediaType(r.Header.Get("Content-Type"))
		switch {
		case r.ProtoMajor < 2 && (ct == "application/grpc" || strings.HasPrefix(ct, "application/grpc+")):
			refuse(w, http.StatusHTTPVersionNotSupported, msgGRPCOverHTTP1)
		case strings.HasPrefix(ct, "application/grpc-web-text"):
			refuse(w, http.StatusUnsupportedMediaType, msgGRPCWebText)
		case r.URL.Path == subscribe && r.Method != http.MethodPost:
			w.Header().Set("Allow", http.MethodPost)
			refuse(w, http.StatusMethodNotAllowed, msgSubscribeVerb)
		case r.URL.Path == subscribe && !slices.Contains(StreamContentTypes, ct):
			w.Header().Set("Accept-Post", strings.Join(StreamContentTypes, ", "))
			refuse(w, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q is not served for Subscribe; send one of %s",
				r.Header.Get("Content-Type"), strings.Join(StreamContentTypes, ", ")))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// mediaType returns the lower-case media type of a Content-Type header,
// without parameters; "" when there is none or it does not parse.
func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return mt
}

// refuse writes a plain-text error: what a person reading curl's output,
// or a browser's network panel, needs to fix the request.
func refuse(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = fmt.Fprintln(w, msg)
}
