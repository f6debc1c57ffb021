package browsertest

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"galaxy/galaxyctl/internal/pipeline"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// chromiumPath finds the browser: $CHROMIUM, or Debian's chromium on the
// PATH. Without it the tests skip, unless GALAXY_REQUIRE_CHROMIUM is set
// (CI sets it), when they fail.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("GALAXY_REQUIRE_CHROMIUM") != "" {
		t.Fatal("chromium is not on PATH and GALAXY_REQUIRE_CHROMIUM is set: install it (Debian: apt-get install chromium)")
	}
	t.Skip("chromium is not on PATH: skipping the real-browser tests (Debian: apt-get install chromium; .ci/run installs it)")
	return ""
}

// browser starts a headless Chromium with a fresh profile that trusts the
// certificate whose SPKI hash is spki (if any), and returns its tab.
func browser(ctx context.Context, t *testing.T, spki string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	if spki != "" {
		opts = append(opts, chromedp.Flag("ignore-certificate-errors-spki-list", spki))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return tab
}

// selfSigned returns a TLS config for 127.0.0.1 and the base64 SHA-256
// of its SubjectPublicKeyInfo, which Chromium is told to trust.
func selfSigned(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		base64.StdEncoding.EncodeToString(sum[:])
}

// gateway is a pipeline that can be restarted on the same address, as an
// operator restarts serve.
type gateway struct {
	t   *testing.T
	cfg pipeline.Config
	p   *pipeline.Pipeline
}

func startGateway(ctx context.Context, t *testing.T, cfg pipeline.Config) *gateway {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Role, cfg.Web, cfg.SigningKey = pipeline.RoleAll, true, key
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	g := &gateway{t: t, cfg: cfg}
	g.start(ctx)
	g.cfg.Listen = g.p.Info().Addr
	t.Cleanup(g.stop)
	return g
}

func (g *gateway) start(ctx context.Context) {
	g.t.Helper()
	p, err := pipeline.Start(ctx, g.cfg)
	if err != nil {
		g.t.Fatalf("pipeline.Start() = %v", err)
	}
	g.p = p
}

func (g *gateway) stop() {
	if g.p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = g.p.Shutdown(ctx)
	g.p = nil
}

// restart stops the pipeline, streams and all, and starts a new one on the
// same address: a new backend incarnation and an empty gateway window.
func (g *gateway) restart(ctx context.Context) {
	g.stop()
	g.start(ctx)
}

// publish appends an event through the backend's Publish, as publishers do.
func (g *gateway) publish(ctx context.Context, eventType, user, payload string) {
	g.t.Helper()
	creds := insecure.NewCredentials()
	if g.cfg.TLS != nil {
		creds = insecureTLS()
	}
	conn, err := grpc.NewClient(g.cfg.Listen, grpc.WithTransportCredentials(creds))
	if err != nil {
		g.t.Fatal(err)
	}
	defer conn.Close()
	if _, err := pushv1.NewPushClient(conn).Publish(ctx, &pushv1.PublishRequest{EventType: eventType, UserId: user, Payload: []byte(payload)}); err != nil {
		g.t.Fatalf("Publish(%s) = %v", eventType, err)
	}
}

// insecureTLS trusts the test's own self-signed certificate.
func insecureTLS() credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{InsecureSkipVerify: true})
}

// keepScreenshot writes png under the test's temp dir, and also under
// GALAXY_SCREENSHOT_DIR when set, so a person can look at it after.
func keepScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	dirs := []string{t.TempDir()}
	if d := os.Getenv("GALAXY_SCREENSHOT_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		path := filepath.Join(d, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Errorf("writing the screenshot: %v", err)
			continue
		}
		t.Logf("screenshot: %s", path)
	}
}
