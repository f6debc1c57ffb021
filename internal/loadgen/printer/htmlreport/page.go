// Package htmlreport writes a bench report as one self-contained HTML
// page for people to share: inline CSS, charts drawn as SVG in Go,
// escaped by html/template, no script, no font, no request to any
// address. It reads the report's JSON, so a page drawn from a live run
// and one drawn from a saved report are the same, and keys this version
// does not know (a merged run's shards) still show.
package htmlreport

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"time"

	"galaxy/galaxyctl/internal/loadgen/printer"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/units"
)

//go:embed page.html.tmpl
var pageTemplate string

//go:embed style.css
var styleSheet string

var tmpl = template.Must(template.New("page").Parse(pageTemplate))

// Options are what the page says about where it came from.
type Options struct {
	// Generator names the program that wrote the page: "galaxyctl v1.2.0".
	Generator string
}

// WriteReport writes r as HTML through its JSON, with the settings its
// notes suggest named by name.
func WriteReport(w io.Writer, r *report.Report, name report.Namer, opts Options) error {
	var b bytes.Buffer
	if err := printer.WriteJSON(&b, r, name); err != nil {
		return err
	}
	return Write(w, b.Bytes(), opts)
}

// Write writes the report in raw, JSON as printer.WriteJSON writes it, as
// one HTML page. Input that is not a bench report is an error from
// report.Decode.
func Write(w io.Writer, raw []byte, opts Options) error {
	r, _, err := report.Decode(raw)
	if err != nil {
		return err
	}
	top, err := orderedObject(raw)
	if err != nil {
		return fmt.Errorf("%w: %w", report.ErrNotReport, err)
	}
	p := build(r, top, opts)
	var out bytes.Buffer
	if err := tmpl.Execute(&out, p); err != nil {
		return fmt.Errorf("render HTML report: %w", err)
	}
	if _, err := out.WriteTo(w); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

// pageData is everything the template lays out, formatted.
type pageData struct {
	Style      template.CSS
	Title      string
	Subtitle   []string
	Generator  string
	Schema     int
	Cards      []card
	Window     bool
	Layers     chart
	Legend     []legendRow
	LayerRows  []layerRow
	Gaps       chart
	HasGaps    bool
	GapSummary string
	Series     []seriesChart
	Projection chart
	HasProj    bool
	ProjRows   []projectionRow
	ProjTitle  string
	Thresholds []thresholdRow
	Notes      []string
	Config     []kv
	Run        []kv
	Memory     []kv
	Shards     shardTable
	HasShards  bool
}

// card is one headline figure at the top of the page.
type card struct {
	Label, Value, Sub string
	Tone              string // "", good, warn or bad
}

func build(r *report.Report, top []pair, opts Options) *pageData {
	raw := map[string]json.RawMessage{}
	for _, p := range top {
		raw[p.Key] = p.Value
	}
	c := &r.Config
	transport := "h2c"
	if c.TLS {
		transport = "TLS"
	}
	p := &pageData{
		Style:     template.CSS(styleSheet), //nolint:gosec // G203: our own embedded stylesheet, no user input
		Title:     fmt.Sprintf("%s idle clients against %s", units.Count(c.Clients), c.Addr),
		Generator: opts.Generator,
		Schema:    r.SchemaVersion,
		Window:    r.Durations.MeasureMS > 0,
		Notes:     make([]string, len(r.Notes)),
		Config:    configRows(raw["config"]),
	}
	p.Subtitle = []string{
		fmt.Sprintf("%s, client window %s, %s per connection", transport, c.ClientWindow, plural(c.StreamsPerConn, "stream")),
		"started " + r.StartedAt.UTC().Format(time.DateTime) + " UTC",
		fmt.Sprintf("ramp %s, warm-up %s, measured %s", units.Millis(r.Durations.RampMS), units.Millis(r.Durations.WarmupMS), units.Millis(r.Durations.MeasureMS)),
	}
	if r.Interrupted {
		p.Subtitle = append(p.Subtitle, "interrupted")
	}
	for i, n := range r.Notes {
		p.Notes[i] = n.String()
	}
	p.Cards = cards(r)
	p.Layers, p.Legend = stackChart(r)
	p.LayerRows = layerRows(r.Layers)
	p.Gaps, p.HasGaps = gapChart(&r.Heartbeats)
	h := &r.Heartbeats
	p.GapSummary = fmt.Sprintf("%s gaps in the window: p50 %s, p99 %s, max %s, mean %s; interval %s (%s); %s late (over 1.5 intervals), %s missed.",
		units.Count(h.Gaps), units.Millis(h.GapP50MS), units.Millis(h.GapP99MS), units.Millis(h.GapMaxMS), units.Millis(h.GapMeanMS),
		units.Millis(h.IntervalMS), orDash(h.IntervalSource), units.Count(h.Late), units.Count(h.Missed))
	p.Series = seriesCharts(&r.Timeseries)
	p.Projection, p.ProjRows, p.HasProj = projectionChart(&r.Projection)
	p.ProjTitle = fmt.Sprintf("At one heartbeat every %s: %s IP bytes per heartbeat, %s per client per day (the model's heartbeat alone: %s).",
		units.Millis(r.Projection.IntervalMS), units.Fixed(float64(r.Projection.IPBytesPerHeartbeat), 1),
		units.Bytes(float64(r.Projection.BytesPerClientDay)), units.Bytes(r.Projection.ModelBytesPerClientDay))
	p.Thresholds = thresholdRows(r.Thresholds)
	p.Run = runRows(r)
	p.Memory = memoryRows(&r.Memory)
	p.Shards, p.HasShards = shards(raw["shards"])
	return p
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return units.Count(n) + " " + word + "s"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cards are the headline figures: cost per heartbeat and per day, gaps,
// memory on each side, clients, thresholds.
func cards(r *report.Report) []card {
	ip := r.Bytes.IPPerHeartbeat
	model := float64(report.Total(report.Stacks(r)[0].Model))
	cs := []card{{Label: "IP bytes per heartbeat", Value: units.Fixed(float64(ip), 1) + " B",
		Sub: "both directions; the model's heartbeat alone: " + units.Fixed(model, 0) + " B"}}
	if ip.OK() && model > 0 && float64(ip) > 1.5*model {
		cs[0].Tone = "warn"
	}
	cs = append(cs, card{Label: "per client per day", Value: units.Bytes(float64(r.Projection.BytesPerClientDay)),
		Sub: "at one heartbeat every " + units.Millis(r.Projection.IntervalMS)})
	h := r.Heartbeats
	gaps := card{Label: "heartbeat gap p99", Value: units.Millis(h.GapP99MS),
		Sub: fmt.Sprintf("interval %s; %s late, %s missed", units.Millis(h.IntervalMS), units.Count(h.Late), units.Count(h.Missed))}
	if h.Late > 0 || h.Missed > 0 {
		gaps.Tone = "bad"
	}
	cs = append(cs, gaps)
	m := r.Memory
	cs = append(cs, card{Label: "bench memory per stream", Value: units.IEC(m.ClientBytesPerStream),
		Sub: "RSS; heap " + units.IEC(m.ClientHeapPerStream) + ", " + units.Fixed(m.ClientGoroutinesPerStream, 1) + " goroutines"})
	server := card{Label: "server memory per stream", Value: "not read", Sub: "no server metrics"}
	if m.ServerAvailable {
		server.Value = units.IEC(m.ServerBytesPerStream)
		server.Sub = "RSS; heap " + units.IEC(m.ServerHeapPerStream) + ", " + units.Fixed(m.ServerGoroutinesPerStream, 1) + " goroutines"
	}
	cs = append(cs, server)
	cl := r.Clients
	clients := card{Label: "clients connected", Value: units.Count(cl.Connected) + " / " + units.Count(cl.Requested),
		Sub: fmt.Sprintf("%s failed, %s streams ended", units.Count(cl.Failed), units.Count(cl.StreamsEnded))}
	if cl.Failed > 0 || cl.StreamsEnded > 0 {
		clients.Tone = "bad"
	}
	cs = append(cs, clients)
	if n := len(r.Thresholds); n > 0 {
		failed := 0
		for _, t := range r.Thresholds {
			if !t.Pass {
				failed++
			}
		}
		t := card{Label: "thresholds", Value: fmt.Sprintf("%d of %d passed", n-failed, n), Tone: "good", Sub: "all passed"}
		if failed > 0 {
			t.Tone, t.Sub = "bad", fmt.Sprintf("%d failed", failed)
		}
		cs = append(cs, t)
	}
	return cs
}

func runRows(r *report.Report) []kv {
	cl, h := r.Clients, r.Heartbeats
	return []kv{
		{"clients requested / connected / failed", units.Count(cl.Requested) + " / " + units.Count(cl.Connected) + " / " + units.Count(cl.Failed)},
		{"connect failures (retried)", units.Count(cl.ConnectFailures)},
		{"streams ended early", units.Count(cl.StreamsEnded)},
		{"connections", units.Count(cl.ConnectionsOpened)},
		{"ramp rate", units.Fixed(cl.RampRateAchieved, 1) + " clients/s"},
		{"heartbeats received / on the wire", units.Count(h.Received) + " / " + units.Count(h.OnWire)},
		{"heartbeats per second", units.Fixed(float64(h.PerSecond), 1)},
		{"segments per heartbeat", units.Fixed(float64(r.Segments.PerHeartbeat), 2)},
		{"residual bytes in / out", fmt.Sprintf("%d / %d", r.Bytes.ResidualIn, r.Bytes.ResidualOut)},
		{"errors", errorsText(r.Errors)},
	}
}

func errorsText(e report.ErrorsReport) string {
	s := ""
	if len(e.Connect) > 0 {
		s = "connect: " + report.ErrSummary(e.Connect, nil)
	}
	if len(e.Streams) > 0 {
		if s != "" {
			s += "; "
		}
		s += "streams: " + report.ErrSummary(e.Streams, nil)
	}
	return orDash(s)
}

func memoryRows(m *report.MemoryReport) []kv {
	span := func(a, b float64) string { return units.IEC(a) + " → " + units.IEC(b) }
	rows := []kv{
		{"bench RSS (before the ramp → after the warm-up)", span(float64(m.ClientRSSBefore), float64(m.ClientRSSAfter))},
		{"bench heap", span(float64(m.ClientHeapBefore), float64(m.ClientHeapAfter))},
		{"bench per stream: RSS, heap, stacks", units.IEC(m.ClientBytesPerStream) + ", " + units.IEC(m.ClientHeapPerStream) + ", " + units.IEC(m.ClientStackPerStream)},
	}
	if m.ServerAvailable {
		rows = append(rows,
			kv{"server RSS", span(m.ServerRSSBefore, m.ServerRSSAfter)},
			kv{"server heap", span(m.ServerHeapBefore, m.ServerHeapAfter)},
			kv{"server per stream: RSS, heap", units.IEC(m.ServerBytesPerStream) + ", " + units.IEC(m.ServerHeapPerStream)},
		)
	} else if m.ServerError != "" {
		rows = append(rows, kv{"server", "not read: " + m.ServerError})
	}
	return rows
}
