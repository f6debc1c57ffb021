package httpstack

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"strings"
	"testing"
)

// reply is a response read to its end.
type reply struct {
	StatusCode int
	Header     http.Header
}

// do sends one request and returns the response and its whole body.
func do(ctx context.Context, t *testing.T, hc *http.Client, method, url string, header map[string]string, body []byte) (reply, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s = %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return reply{resp.StatusCode, resp.Header}, string(b)
}

const subscribePath = "/galaxy.gateway.v1.Gateway/Subscribe"

// TestBadInput sends what a broken or hostile client might, and checks
// that each gets the protocol's status and a message that says what is
// wrong, and that no stream is left behind.
func TestBadInput(t *testing.T) {
	hugePrefix := []byte{0, 0, 0x20, 0, 0} // declares 2 MiB, sends nothing more
	lying := append(binary.BigEndian.AppendUint32([]byte{0}, 100), "abc"...)
	tests := []struct {
		name       string
		version    string
		method     string
		path       string
		header     map[string]string
		body       []byte
		wantStatus int
		wantBody   string            // a part of it
		wantHeader map[string]string // a part of them
	}{
		{"wrong content type", "1.1", "POST", subscribePath, map[string]string{"Content-Type": "text/plain"}, nil,
			415, `content type "text/plain" is not served for Subscribe; send one of application/connect+proto`,
			map[string]string{"Accept-Post": "application/connect+proto, application/connect+json, application/grpc"}},
		{"Connect's unary content type on a stream", "2", "POST", subscribePath, map[string]string{"Content-Type": "application/json"}, nil,
			415, `content type "application/json" is not served for Subscribe`, nil},
		{"no content type", "1.1", "POST", subscribePath, nil, nil, 415, `content type "" is not served`, nil},
		{"Connect GET", "1.1", "GET", subscribePath + "?connect=v1&encoding=json&message=%7B%7D", nil, nil,
			405, msgSubscribeVerb, map[string]string{"Allow": "POST"}},
		{"gRPC-Web text", "1.1", "POST", subscribePath, map[string]string{"Content-Type": "application/grpc-web-text"}, []byte("!!not base64!!"),
			415, msgGRPCWebText, nil},
		{"gRPC over HTTP/1.1", "1.1", "POST", subscribePath, map[string]string{"Content-Type": "application/grpc"}, envelope(nil),
			505, msgGRPCOverHTTP1, nil},
		{"gRPC+json over HTTP/1.1, another method", "1.1", "POST", "/grpc.health.v1.Health/Check", map[string]string{"Content-Type": "application/grpc+json"}, nil,
			505, msgGRPCOverHTTP1, nil},
		{"Connect envelope over 1 MiB", "1.1", "POST", subscribePath,
			map[string]string{"Content-Type": "application/connect+proto", "Connect-Protocol-Version": "1"}, hugePrefix,
			200, `{"error":{"code":"resource_exhausted","message":"message size 2097152 is larger than configured max 1048576"}}`, nil},
		{"gRPC-Web envelope over 1 MiB", "2", "POST", subscribePath, map[string]string{"Content-Type": "application/grpc-web+proto"}, hugePrefix,
			200, "", map[string]string{"Grpc-Status": "8", "Grpc-Message": "message size 2097152 is larger than configured max 1048576"}},
		{"envelope length that lies", "1.1", "POST", subscribePath,
			map[string]string{"Content-Type": "application/connect+proto", "Connect-Protocol-Version": "1"}, lying,
			200, `"code":"internal","message":"protocol error: promised 100 bytes in enveloped message, got 3 bytes`, nil},
		{"empty body", "2", "POST", subscribePath,
			map[string]string{"Content-Type": "application/connect+json", "Connect-Protocol-Version": "1"}, nil,
			200, `"code":"unimplemented"`, nil},
		{"refused by the gateway", "1.1", "POST", subscribePath,
			map[string]string{"Content-Type": "application/connect+json", "Connect-Protocol-Version": "1"}, envelope([]byte(`{"userId":"refuse"}`)),
			200, `{"error":{"code":"invalid_argument","message":"user_id refused by the test"}}`, nil},
		{"page without --web", "1.1", "GET", "/", nil, nil, 404, msgNoPage, nil},
	}
	s := startServer(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			resp, body := do(ctx, t, httpClient(tt.version), tt.method, s.url+tt.path, tt.header, tt.body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("%s %s = %d %q, want %d with %q", tt.method, tt.path, resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header.Get(k); !strings.HasPrefix(got, v) {
					t.Errorf("%s %s header %s = %q, want %q", tt.method, tt.path, k, got, v)
				}
			}
			s.waitIdle(ctx, t)
		})
	}
}

// TestCORS checks preflights from origins allowed and not, and that a
// cross-origin page can read the gateway's response headers.
func TestCORS(t *testing.T) {
	const app = "https://app.example.com"
	preflight := func(origin, headers string) map[string]string {
		return map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": headers}
	}
	tests := []struct {
		name       string
		origins    []string
		header     map[string]string
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{"allowed", []string{app}, preflight(app, "authorization,connect-protocol-version,content-type"), 204, "",
			map[string]string{"Access-Control-Allow-Origin": app, "Access-Control-Max-Age": "7200", "Access-Control-Allow-Methods": "POST"}},
		{"origin not allowed", []string{app}, preflight("https://evil.example", "content-type"), 403,
			"origin https://evil.example is not allowed to call this gateway from a browser (serve --cors-origin https://evil.example would allow it; allowed now: https://app.example.com)",
			map[string]string{"Access-Control-Allow-Origin": ""}},
		{"no origin allowed", nil, preflight(app, "content-type"), 403,
			"cross-origin calls are not allowed: this gateway allows no browser origin (serve --cors-origin https://app.example.com would allow this one)", nil},
		{"header not allowed", []string{app}, preflight(app, "content-type,x-secret"), 403, `request header "x-secret" is not allowed cross-origin`, nil},
		{"any origin", []string{"*"}, preflight("https://anyone.example", "content-type,x-grpc-web,x-user-agent"), 204, "",
			map[string]string{"Access-Control-Allow-Origin": "*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			s := startServer(t, func(c *Config) { c.CORSOrigins = tt.origins })
			resp, body := do(ctx, t, httpClient("1.1"), http.MethodOptions, s.url+subscribePath, tt.header, nil)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("preflight = %d %q, want %d with %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("preflight header %s = %q, want %q", k, got, v)
				}
			}
		})
	}

	t.Run("exposed headers", func(t *testing.T) {
		ctx := testContext(t)
		s := startServer(t, func(c *Config) { c.CORSOrigins = []string{app} })
		_, _, resp := rawSubscribe(ctx, t, s, "application/connect+json", "Connect-Protocol-Version: 1\r\nOrigin: "+app+"\r\n", []byte("{}"))
		exposed := resp.Header.Get("Access-Control-Expose-Headers")
		for _, h := range []string{"Galaxy-Start", "Galaxy-Missed-Events", "Grpc-Status"} {
			if !strings.Contains(exposed, h) {
				t.Errorf("Access-Control-Expose-Headers = %q, want it to list %s", exposed, h)
			}
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != app {
			t.Errorf("Access-Control-Allow-Origin = %q, want %s", got, app)
		}
	})
}

func TestCheckOrigin(t *testing.T) {
	for _, tt := range []struct {
		origin string
		ok     bool
	}{
		{"https://app.example.com", true}, {"http://127.0.0.1:8080", true}, {"*", true},
		{"app.example.com", false}, {"https://app.example.com/", false}, {"https://App.example.com", false},
		{"ftp://x", false}, {"https://x?y", false}, {"", false},
	} {
		if err := CheckOrigin(tt.origin); (err == nil) != tt.ok {
			t.Errorf("CheckOrigin(%q) = %v, want ok %v", tt.origin, err, tt.ok)
		}
	}
}
