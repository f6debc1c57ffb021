package browsertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"galaxy/galaxyctl/internal/pipeline"
)

// heartbeat is the gateway's interval in these tests: short, so a test
// sees several, and long enough for a loaded machine to keep it.
const heartbeat = 700 * time.Millisecond

// TestPageHTTP1 follows the gateway over http://, which Chromium speaks as
// HTTP/1.1, through a proxy that alters one event in transit.
func TestPageHTTP1(t *testing.T) { testPage(t, false) }

// TestPageHTTP2TLS follows the gateway over https:// with the self-signed
// certificate: Chromium negotiates HTTP/2 with ALPN.
func TestPageHTTP2TLS(t *testing.T) { testPage(t, true) }

// testPage runs the page against a real pipeline and checks what it shows:
// heartbeats at the interval, published events with valid signatures, an
// altered one as invalid (http only), and, across a restart of the
// gateway, a reconnect of its own that says events may have been missed,
// then heartbeats and events again.
func testPage(t *testing.T, useTLS bool) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cfg := pipeline.Config{Heartbeat: heartbeat}
	spki := ""
	if useTLS {
		cfg.TLS, spki = selfSigned(t)
	}
	gw := startGateway(ctx, t, cfg)
	origin, wantProto := "https://"+gw.cfg.Listen, "h2"
	var proxy *tamperProxy
	if !useTLS {
		proxy = startTamperProxy(t, gw.cfg.Listen, []byte("dGFtcGVyLW1l"), []byte("dGFtcGVyLW1m")) // "tamper-me" → "tamper-mf"
		origin, wantProto = "http://"+proxy.addr(), "http/1.1"
	}
	tab := browser(ctx, t, spki)
	protos := watchProtocols(tab)
	// A client token in the fragment (issue 11's client tokens): the
	// browser never sends the fragment, the page sends it as Authorization.
	if err := chromedp.Do(tab, chromedp.Navigate(origin+"/#token=test-token")); err != nil {
		t.Fatalf("navigate %s: %v", origin, err)
	}

	waitPage(tab, t, `__galaxy.state === "live" && __galaxy.key !== null && __galaxy.heartbeats >= 4`, "four heartbeats")
	checkGaps(tab, t)
	subscribeURL := origin + "/galaxy.gateway.v1.Gateway/Subscribe"
	if got := protos.of(subscribeURL); got != wantProto {
		t.Errorf("Subscribe's HTTP version in Chromium = %q, want %s", got, wantProto)
	}
	if got := protos.authorization(subscribeURL); got != "Bearer test-token" {
		t.Errorf("Subscribe's Authorization in Chromium = %q, want Bearer test-token", got)
	}

	for i := range 3 {
		gw.publish(ctx, "order.created", "alice", fmt.Sprintf(`{"order":%d}`, i))
	}
	waitPage(tab, t, `__galaxy.events.filter(e => e.type === "order.created" && e.verdict === "valid").length === 3`, "three events with valid signatures")
	if !useTLS {
		gw.publish(ctx, "tampered", "", "tamper-me")
		waitPage(tab, t, `__galaxy.events.some(e => e.type === "tampered" && e.verdict === "invalid" && e.payload === "tamper-mf")`,
			"the event altered in transit, shown as invalid")
		checkResume(ctx, t, tab, gw, proxy)
	}

	before := evaluate[int](tab, t, `__galaxy.heartbeats`)
	gw.restart(ctx)
	waitPage(tab, t, `__galaxy.starts.length >= 2 && __galaxy.state === "live"`, "a reconnect of its own after the restart")
	waitPage(tab, t, `__galaxy.missed === true`, "the page saying events may have been missed")
	banner := evaluate[string](tab, t, `document.getElementById("banner").textContent`)
	if !strings.HasPrefix(banner, "Events may have been missed") {
		t.Errorf("banner after the restart = %q, want it to say events may have been missed", banner)
	}
	gw.publish(ctx, "after.restart", "", `{"ok":true}`)
	waitPage(tab, t, `__galaxy.events.some(e => e.type === "after.restart" && e.verdict === "valid")`, "a valid event after the restart")
	waitPage(tab, t, fmt.Sprintf(`__galaxy.heartbeats >= %d`, before+2), "heartbeats after the restart")

	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	keepScreenshot(t, fmt.Sprintf("page-%s.png", strings.ReplaceAll(wantProto, "/", "")), png)
}

// checkResume cuts the page's connections while the gateway stays up and
// publishes meanwhile: the page must reconnect with last_event_id, the
// gateway resume (galaxy-start: resume), and the event arrive exactly once
// with nothing said to be missed.
func checkResume(ctx context.Context, t *testing.T, tab context.Context, gw *gateway, proxy *tamperProxy) {
	t.Helper()
	starts := evaluate[int](tab, t, `__galaxy.starts.length`)
	proxy.cut()
	gw.publish(ctx, "during.cut", "", `{"cut":true}`)
	waitPage(tab, t, fmt.Sprintf(`__galaxy.starts.length > %d && __galaxy.state === "live"`, starts), "a reconnect after the cut")
	if got := evaluate[string](tab, t, `__galaxy.starts[__galaxy.starts.length-1].start`); got != "resume" {
		t.Errorf("galaxy-start after a cut = %q, want resume", got)
	}
	waitPage(tab, t, `__galaxy.events.some(e => e.type === "during.cut" && e.verdict === "valid")`, "the event published during the cut")
	gw.publish(ctx, "after.cut", "", "{}")
	waitPage(tab, t, `__galaxy.events.some(e => e.type === "after.cut")`, "an event after the cut")
	if n := evaluate[int](tab, t, `__galaxy.events.filter(e => e.type === "during.cut").length`); n != 1 {
		t.Errorf("the event published during the cut arrived %d times, want once", n)
	}
	if evaluate[bool](tab, t, `__galaxy.missed`) {
		t.Error("the page says events may have been missed after a resume that missed none")
	}
}

// waitPage polls the page until expr holds, and fails with what the page
// has seen when it does not within 20 s.
func waitPage(tab context.Context, t *testing.T, expr, what string) {
	t.Helper()
	_, err := chromedp.Run(tab, chromedp.Poll[bool](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		seen, _ := chromedp.Run(tab, chromedp.Evaluate[string](`JSON.stringify(window.__galaxy)`))
		t.Fatalf("waiting for %s (%s): %v\npage state: %s", what, expr, err, seen)
	}
}

func evaluate[T any](tab context.Context, t *testing.T, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// checkGaps checks that the heartbeats came at the interval: the silence
// before each is the interval, give or take a loaded machine's delays.
func checkGaps(tab context.Context, t *testing.T) {
	t.Helper()
	gaps := evaluate[[]float64](tab, t, `__galaxy.gaps`)
	iv := float64(heartbeat.Milliseconds())
	sorted := slices.Clone(gaps)
	slices.Sort(sorted)
	if median := sorted[len(sorted)/2]; median < 0.9*iv || median > 1.3*iv {
		t.Errorf("median heartbeat gap in Chromium = %.0f ms (gaps %v), want %v", median, gaps, heartbeat)
	}
	for _, g := range gaps {
		if g < 0.5*iv || g > 2.5*iv {
			t.Errorf("heartbeat gap in Chromium = %.0f ms (gaps %v), want about %v", g, gaps, heartbeat)
		}
	}
}

// protocols records the HTTP version of each response Chromium receives,
// and the Authorization header of each request it sends.
type protocols struct {
	mu   sync.Mutex
	by   map[string]string
	auth map[string]string
}

func watchProtocols(tab context.Context) *protocols {
	p := &protocols{by: map[string]string{}, auth: map[string]string{}}
	_ = chromedp.Listen(tab, func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventResponseReceived:
			p.by[e.Response.URL] = e.Response.Protocol
		case *network.EventRequestWillBeSent:
			for k, v := range e.Request.Headers {
				if strings.EqualFold(k, "Authorization") {
					p.auth[e.Request.URL] = fmt.Sprint(v)
				}
			}
		}
	})
	return p
}

func (p *protocols) authorization(url string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.auth[url]
}

func (p *protocols) of(url string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.by[url]
}
