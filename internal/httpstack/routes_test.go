package httpstack

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// TestStreamContentTypesServed checks the guard's list against connect-go:
// every type listed is served (a stream opens), so the guard never turns
// away what connect-go would serve.
func TestStreamContentTypesServed(t *testing.T) {
	s := startServer(t, nil)
	for _, ct := range StreamContentTypes {
		t.Run(ct, func(t *testing.T) {
			ctx := testContext(t)
			msg := []byte{}
			if strings.HasSuffix(ct, "json") {
				msg = []byte("{}")
			}
			header := map[string]string{"Content-Type": ct, "Connect-Protocol-Version": "1", "Te": "trailers"}
			// The stream stays open: let the gateway end it.
			go func() {
				tick := time.NewTicker(time.Millisecond)
				defer tick.Stop()
				for s.gw.active.Load() == 0 {
					select {
					case <-ctx.Done():
						return
					case <-tick.C:
					}
				}
				select {
				case s.gw.end <- struct{}{}:
				case <-ctx.Done():
				}
			}()
			resp, body := do(ctx, t, httpClient("2"), http.MethodPost, s.url+subscribePath, header, envelope(msg))
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), strings.TrimSuffix(ct, "+proto")) {
				t.Errorf("POST %s = %d %s %q, want 200 and a stream", ct, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			s.waitIdle(ctx, t)
		})
	}
}

// TestHealthAndReflection calls the net/http side's health and reflection
// the way a connect-go gRPC client on a non-gRPC connection would.
func TestHealthAndReflection(t *testing.T) {
	ctx := testContext(t)
	s := startServer(t, nil)
	hc := httpClient("2")
	health := grpchealth.NewClient(hc, s.url, connect.WithGRPC())
	resp, err := health.Check(ctx, &grpchealth.CheckRequest{})
	if err != nil || resp.Status != grpchealth.StatusServing {
		t.Errorf("health Check() = %v, %v; want SERVING", resp, err)
	}
	if _, err := health.Check(ctx, &grpchealth.CheckRequest{Service: "no.such.Service"}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("health Check(no.such.Service) = %v, want not_found", err)
	}

	refl := grpcreflect.NewClient(hc, s.url, connect.WithGRPC())
	st := refl.NewStream(ctx)
	defer st.Close()
	names, err := st.ListServices()
	if err != nil {
		t.Fatalf("ListServices() = %v", err)
	}
	want := []protoreflect.FullName{"galaxy.gateway.v1.Gateway", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Errorf("ListServices() = %v, want %v", names, want)
	}
}

// TestSigningKeyAndPage checks the key at its well-known path, and the page
// with its content security policy when Web is on.
func TestSigningKeyAndPage(t *testing.T) {
	ctx := testContext(t)
	var cfg Config
	s := startServer(t, func(c *Config) { c.Web = true; cfg = *c })
	resp, body := do(ctx, t, httpClient("1.1"), http.MethodGet, s.url+SigningKeyPath, nil, nil)
	if want := base64.StdEncoding.EncodeToString(cfg.PublicKey) + "\n"; resp.StatusCode != 200 || body != want {
		t.Errorf("GET %s = %d %q, want 200 %q", SigningKeyPath, resp.StatusCode, body, want)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("GET %s Cache-Control = %q, want no-store", SigningKeyPath, got)
	}
	for path, want := range map[string]string{"/": "<title>galaxy gateway", "/app.js": "", "/style.css": ":root"} {
		resp, body := do(ctx, t, httpClient("1.1"), http.MethodGet, s.url+path, nil, nil)
		if resp.StatusCode != 200 || !strings.Contains(body, want) || len(body) == 0 {
			t.Errorf("GET %s = %d, %d bytes, want 200 with %q", path, resp.StatusCode, len(body), want)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s Content-Security-Policy = %q, want scripts from self only", path, csp)
		}
	}
	if resp, _ := do(ctx, t, httpClient("1.1"), http.MethodGet, s.url+"/nothing", nil, nil); resp.StatusCode != 404 {
		t.Errorf("GET /nothing = %d, want 404", resp.StatusCode)
	}
}
