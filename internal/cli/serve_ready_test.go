package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"galaxy/galaxyctl/internal/gateway"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// TestServeReadyMeansConnected: once serve --role all announces itself
// ready, its gateway is already subscribed to its backend, so an event
// published by a client that has just connected reaches gateway streams.
// (serve used to start the gateway's subscriber after writing the ready
// file, and such events were lost to gateway clients.)
func TestServeReadyMeansConnected(t *testing.T) {
	verifyNoLeaks(t)
	ctx := testContext(t)
	s := startInproc(ctx, t, "--heartbeat", "0", "--metrics-listen", "127.0.0.1:0", "--log-level", "info")
	// serve logs "serving" just before it writes the ready file.
	logs := s.stderr.String()
	sub, serving := strings.Index(logs, "subscribed to backend"), strings.Index(logs, "\tserving\t")
	if sub < 0 || serving < 0 || sub > serving {
		t.Errorf("serve log = %q, want \"subscribed to backend\" before \"serving\"", logs)
	}
	if n, err := scrapeCounter(ctx, s.info.MetricsAddr, "galaxy_backend_subscriptions"); err != nil || n != 1 {
		t.Errorf("galaxy_backend_subscriptions when ready = %v, %v; want 1 (the gateway's)", n, err)
	}
	st, err := gatewayv1.NewGatewayClient(s.dial(t)).Subscribe(ctx, &gatewayv1.SubscribeRequest{})
	if err == nil {
		_, err = st.Header()
	}
	if err != nil {
		t.Fatalf("Subscribe() = %v", err)
	}
	if _, err := pushv1.NewPushClient(s.dial(t)).Publish(ctx, &pushv1.PublishRequest{EventType: "first"}); err != nil {
		t.Fatalf("Publish() = %v", err)
	}
	if ev, err := st.Recv(); err != nil || ev.GetEventType() != "first" {
		t.Errorf("gateway Recv() after the first publish = event %q, %v; want event first", ev.GetEventType(), err)
	}
}

// TestServeRemovesSelfSignedCAOnFailure: the CA file of --tls-self-signed
// is serve's to remove on every way out, including failing to write the
// ready file after the CA was written.
func TestServeRemovesSelfSignedCAOnFailure(t *testing.T) {
	verifyNoLeaks(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where serve writes the CA file
	streams, _, errOut := testStreams()
	code := Main(testContext(t), []string{"serve", "--listen", "127.0.0.1:0", "--tls-self-signed",
		"--ready-file", filepath.Join(tmp, "missing-dir", "ready.json")}, streams)
	if code != ExitFailure || !strings.Contains(errOut.String(), "--ready-file") {
		t.Errorf("serve with an unwritable --ready-file = exit %d, stderr %q; want %d and a --ready-file error", code, errOut, ExitFailure)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "galaxyctl-ca-*.pem")); len(left) != 0 {
		t.Errorf("CA files left after serve failed: %v, want none", left)
	}
}

// TestServeFilesAndLog: --public-key-file holds the gateway's key as PEM
// for tail --verify-key, the ready file goes away when serve exits (a
// stale one would announce a server that is gone), and the serving line of
// a backend alone names no heartbeat, which only a gateway has.
func TestServeFilesAndLog(t *testing.T) {
	verifyNoLeaks(t)
	ctx := testContext(t)
	pubFile := filepath.Join(t.TempDir(), "gateway.pub")
	s := startInproc(ctx, t, "--heartbeat", "0", "--public-key-file", pubFile)
	pub, err := gateway.LoadPublicKey(pubFile)
	if err != nil {
		t.Fatalf("LoadPublicKey(--public-key-file) = %v", err)
	}
	if b, _ := gateway.MarshalPublicKeyPEM(pub); string(b) != s.info.PublicKey {
		t.Errorf("--public-key-file = %q, want the ready file's signing_public_key %q", b, s.info.PublicKey)
	}
	if code, _ := s.shutdown(ctx, t); code != ExitOK {
		t.Errorf("serve exit = %d, want 0", code)
	}
	if _, err := os.Stat(s.ready); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ready file after serve exited: Stat() = %v, want it removed", err)
	}

	b := startInproc(ctx, t, "--role", "backend", "--log-level", "info")
	logs := b.stderr.String()
	i := strings.Index(logs, "\tserving\t")
	if i < 0 {
		t.Fatalf("serve --role backend log = %q, want a serving line", logs)
	}
	if line, _, _ := strings.Cut(logs[i:], "\n"); strings.Contains(line, "heartbeat") {
		t.Errorf("serve --role backend serving line = %q, want no heartbeat (a backend has none)", line)
	}
}

func TestServePublicKeyFileNeedsGateway(t *testing.T) {
	streams, _, errOut := testStreams()
	code := Main(testContext(t), []string{"serve", "--role", "backend", "--public-key-file", filepath.Join(t.TempDir(), "k.pub")}, streams)
	want := "--public-key-file needs a gateway: use --role all or gateway"
	if code != ExitUsage || !strings.Contains(errOut.String(), want) {
		t.Errorf("serve --role backend --public-key-file = exit %d, stderr %q; want %d and %q", code, errOut, ExitUsage, want)
	}
}
