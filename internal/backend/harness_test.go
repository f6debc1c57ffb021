package backend

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"galaxy/galaxyctl/internal/clock/clocktest"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// testIncarnation makes every harness's cursors predictable.
const testIncarnation = 0xab

// testStart is the fake clock's first reading.
var testStart = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// harness is a Server behind a real gRPC server on an in-memory listener,
// with a fake clock and a metrics reader.
type harness struct {
	t      *testing.T
	srv    *Server
	client pushv1.PushClient
	clock  *clocktest.Fake
	reader *sdkmetric.ManualReader
}

// newHarness serves a Server for cfg; Incarnation, Clock and Meter default to
// the harness's own. opts are added to the client connection's.
func newHarness(t *testing.T, cfg Config, opts ...grpc.DialOption) *harness {
	t.Helper()
	h := &harness{t: t, clock: clocktest.New(testStart), reader: sdkmetric.NewManualReader()}
	if cfg.Incarnation == 0 {
		cfg.Incarnation = testIncarnation
	}
	if cfg.Clock == nil {
		cfg.Clock = h.clock
	}
	if cfg.Meter == nil {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
		t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
		cfg.Meter = mp.Meter("test")
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v) = %v, want no error", cfg, err)
	}
	h.srv = srv

	ln := bufconn.Listen(1 << 20)
	gs := grpc.NewServer()
	pushv1.RegisterPushServer(gs, srv)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(ln)
	}()
	opts = append([]grpc.DialOption{
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	}, opts...)
	conn, err := grpc.NewClient("passthrough:///backend", opts...)
	if err != nil {
		t.Fatalf("grpc.NewClient = %v, want no error", err)
	}
	h.client = pushv1.NewPushClient(conn)
	t.Cleanup(func() {
		_ = srv.Close()
		_ = conn.Close()
		gs.Stop()
		<-served
	})
	return h
}

// testContext is the deadline every test runs under.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type pushStream = grpc.ServerStreamingClient[pushv1.PushEvent]

// subscribe opens a stream and waits for its header, so that everything
// published afterwards is live for it.
func (h *harness) subscribe(ctx context.Context, req *pushv1.GatewaySubscribeRequest) (pushStream, metadata.MD) {
	h.t.Helper()
	st, err := h.client.SubscribePush(ctx, req)
	if err != nil {
		h.t.Fatalf("SubscribePush(%v) = %v, want a stream", req, err)
	}
	md, err := st.Header()
	if err != nil {
		h.t.Fatalf("SubscribePush(%v).Header() = %v, want a header", req, err)
	}
	return st, md
}

// publish publishes one event over gRPC and returns its sequence number.
func (h *harness) publish(ctx context.Context, eventType string) uint64 {
	h.t.Helper()
	resp, err := h.client.Publish(ctx, &pushv1.PublishRequest{EventType: eventType, UserId: "u1", Payload: []byte(eventType)})
	if err != nil {
		h.t.Fatalf("Publish(%q) = %v, want no error", eventType, err)
	}
	return mustSeq(h.t, resp.GetCursor())
}

// publishN publishes events "e1" to "en" in order.
func (h *harness) publishN(ctx context.Context, n int) {
	h.t.Helper()
	for i := 1; i <= n; i++ {
		h.publish(ctx, "e"+strconv.Itoa(i))
	}
}

// recvSeqs receives n events and returns their sequence numbers.
func recvSeqs(t *testing.T, st pushStream, n int) []uint64 {
	t.Helper()
	seqs := make([]uint64, 0, n)
	for range n {
		ev, err := st.Recv()
		if err != nil {
			t.Fatalf("Recv() after %d events (the last %v) = %v, want event %d of %d", len(seqs), seqs[max(0, len(seqs)-3):], err, len(seqs)+1, n)
		}
		seqs = append(seqs, mustSeq(t, ev.GetCursor()))
	}
	return seqs
}

// recvErr receives until the stream fails and returns the events' sequence
// numbers and the status.
func recvErr(t *testing.T, st pushStream) ([]uint64, *status.Status) {
	t.Helper()
	var seqs []uint64
	for {
		ev, err := st.Recv()
		if err != nil {
			return seqs, status.Convert(err)
		}
		seqs = append(seqs, mustSeq(t, ev.GetCursor()))
	}
}

func mustSeq(t *testing.T, cursor string) uint64 {
	t.Helper()
	c, err := ParseCursor(cursor)
	if err != nil {
		t.Fatalf("ParseCursor(%q) = %v, want a cursor", cursor, err)
	}
	if c.Incarnation != testIncarnation {
		t.Fatalf("ParseCursor(%q).Incarnation = %x, want %x", cursor, c.Incarnation, testIncarnation)
	}
	return c.Seq
}

func cursorOf(seq uint64) string {
	return FormatCursor(Cursor{Incarnation: testIncarnation, Seq: seq})
}

// seqRange returns from, from+1, ..., to.
func seqRange(from, to uint64) []uint64 {
	var s []uint64
	for q := from; q <= to; q++ {
		s = append(s, q)
	}
	return s
}

// galaxyHeader keeps the galaxy-* keys of md, each with its first value.
func galaxyHeader(md metadata.MD) map[string]string {
	out := make(map[string]string)
	for k, v := range md {
		if strings.HasPrefix(k, "galaxy-") && len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// metric returns the value of the named sum or gauge for the data point with
// exactly attrs, or 0 when there is none.
func (h *harness) metric(name string, attrs ...attribute.KeyValue) int64 {
	h.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		h.t.Fatalf("Collect() = %v, want no error", err)
	}
	want := attribute.NewSet(attrs...)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			var points []metricdata.DataPoint[int64]
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				points = d.DataPoints
			case metricdata.Gauge[int64]:
				points = d.DataPoints
			default:
				h.t.Fatalf("metric %s has data %T, want an int64 sum or gauge", name, m.Data)
			}
			for _, p := range points {
				if p.Attributes.Equals(&want) {
					return p.Value
				}
			}
		}
	}
	return 0
}
