package htmlreport

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds the browser: $CHROMIUM, or chromium on the PATH
// (Debian's package installs /usr/bin/chromium).
func chromiumPath() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return exec.LookPath("chromium")
}

// newBrowser starts a headless Chromium with a fresh profile and returns
// a tab's context, ended with the test. Without Chromium the test is
// skipped, saying how to get it; .ci/run installs it, so CI never skips.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	exe, err := chromiumPath()
	if err != nil {
		t.Skipf("chromium not found (%v): install it with apt-get install -y chromium, or set CHROMIUM; .ci/run installs it", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	tab, tcancel := chromedp.NewContext(actx)
	t.Cleanup(tcancel)
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	return tab
}

// pageEvents records what a page does that a self-contained report must
// not: requests, console errors and exceptions.
type pageEvents struct {
	mu       sync.Mutex
	requests []string
	errors   []string
}

func (p *pageEvents) add(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		p.requests = append(p.requests, e.Request.URL)
	case *runtime.EventExceptionThrown:
		p.errors = append(p.errors, "exception: "+e.ExceptionDetails.Text)
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning || e.Type == runtime.ConsoleAPICalledTypeAssert {
			p.errors = append(p.errors, "console."+string(e.Type))
		}
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
			p.errors = append(p.errors, string(e.Entry.Source)+": "+e.Entry.Text+" "+e.Entry.URL)
		}
	}
}

// loadHTML sets the tab's document to html, watching it from before.
func loadHTML(t *testing.T, ctx context.Context, html string) *pageEvents {
	t.Helper()
	ev := &pageEvents{}
	if err := chromedp.Listen(ctx, ev.add); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.SetDocumentContent, page.SetDocumentContentParams{FrameID: tree.FrameTree.Frame.ID, HTML: html}); err != nil {
		t.Fatal(err)
	}
	return ev
}

// chartBox is a chart as laid out in the page.
type chartBox struct {
	ID    string  `json:"id"`
	W     float64 `json:"w"`
	H     float64 `json:"h"`
	Marks int     `json:"marks"` // drawn rects and paths of non-zero size
}

const measureCharts = `Array.from(document.querySelectorAll('svg.chart')).map(s => {
  const r = s.getBoundingClientRect();
  const marks = Array.from(s.querySelectorAll('rect, path')).filter(m => {
    const b = m.getBBox(); return b.width > 0 && b.height > 0; }).length;
  return {id: s.id, w: r.width, h: r.height, marks: marks};
})`

// The report renders in a real browser: every chart laid out with marks
// of non-zero size, no request to any address, no console error; and a
// screenshot under the test's temp dir (also into $HTMLREPORT_SHOTS, to
// look at).
func TestHTMLInChromium(t *testing.T) {
	ctx := newBrowser(t)
	ev := loadHTML(t, ctx, render(t, sampleJSON(t)))
	boxes, err := chromedp.Run(ctx, chromedp.Evaluate[[]chartBox](measureCharts))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{ // the least marks each must have
		"chart-layers": 10, "chart-gaps": 3, "chart-heartbeats": 2, "chart-traffic": 3,
		"chart-clients": 3, "chart-memory": 3, "chart-projection": 6,
	}
	got := map[string]chartBox{}
	for _, b := range boxes {
		got[b.ID] = b
	}
	for id, marks := range want {
		b, ok := got[id]
		switch {
		case !ok:
			t.Errorf("chart %s is not in the page (charts: %+v)", id, boxes)
		case b.W < 100 || b.H < 100:
			t.Errorf("chart %s is %.0f×%.0f px, want a rendered chart", id, b.W, b.H)
		case b.Marks < marks:
			t.Errorf("chart %s has %d marks of non-zero size, want at least %d", id, b.Marks, marks)
		}
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(t.TempDir(), "report.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("HTMLREPORT_SHOTS"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "report.png"), png, 0o644)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	// Listen sees every event before the reply of a later command, so by
	// now it has seen the page's.
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if len(ev.requests) > 0 {
		t.Errorf("the page made %d requests, want none: %q", len(ev.requests), ev.requests)
	}
	if len(ev.errors) > 0 {
		t.Errorf("the page logged errors: %q", ev.errors)
	}
}

// The check itself can fail: a page that loads an image and throws is
// caught.
func TestChromiumCatchesRequestsAndErrors(t *testing.T) {
	ctx := newBrowser(t)
	ev := loadHTML(t, ctx, `<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png"><script>throw new Error("boom")</script></body></html>`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`1`)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev.mu.Lock()
		n, e := len(ev.requests), len(ev.errors)
		ev.mu.Unlock()
		if n > 0 && e > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("saw %d requests and %d errors of a page that makes one of each, want both", n, e)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`1`)); err != nil {
			t.Fatal(err)
		}
	}
}
