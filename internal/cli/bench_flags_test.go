package cli

import (
	"errors"
	"strings"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/report/reporttest"
	"galaxy/galaxyctl/internal/loadgen/wire"
)

func TestBenchFlagName(t *testing.T) {
	for _, c := range []struct {
		hint report.Hint
		want string
	}{
		{report.Hint{Field: "ClientWindow", Value: "static"}, "--client-window static"},
		{report.Hint{Field: "Profile", Value: "grpc-go-static"}, "--profile grpc-go-static"},
		{report.Hint{Field: "Warmup"}, "--warmup"},
		{report.Hint{Field: "ExpectedInterval", Value: "0"}, "--heartbeat 0"},
		{report.Hint{Field: "Unknown"}, "Unknown"},
	} {
		if got := benchFlagName(c.hint); got != c.want {
			t.Errorf("benchFlagName(%+v) = %q, want %q", c.hint, got, c.want)
		}
	}
}

// Every setting the report's notes or the file-limit check suggest has a
// flag, so bench never prints a Config field name to its user.
func TestBenchFlagsNameEveryHint(t *testing.T) {
	m := reporttest.Memory(reporttest.WithReplies(reporttest.H2C()))
	m.Counters.H2In.Frames[wire.KindHeaders]++
	m.Counters.H2In.Undecoded = 3
	m.Window = m.Gaps.Interval
	notes := report.Build(m).Notes
	var fe *loadgen.FileLimitError
	if !errors.As(loadgen.CheckFileLimit(50_000, 1, 100), &fe) {
		t.Fatal("CheckFileLimit(50000, 1, 100) is not a *FileLimitError")
	}
	notes = append(notes, fe.Note())
	seen := map[string]bool{}
	for _, n := range notes {
		for _, h := range n.Hints {
			seen[h.Field] = true
			if _, ok := benchFlags[h.Field]; !ok {
				t.Errorf("hint %+v in %q has no flag in benchFlags", h, n.String())
			}
		}
	}
	for _, f := range []string{"Profile", "Warmup", "Duration", "StreamsPerConn", "TLS", "Clients"} {
		if !seen[f] {
			t.Errorf("no note hinted at %s; the test does not cover it", f)
		}
	}
	want := "--clients 50000 needs about 50064 open files but the limit is 100; lower --clients, raise --streams-per-conn, or raise ulimit -n"
	if err := benchConfigError(fe); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("benchConfigError(file limit) = %v, want a usage error %q", err, want)
	}
}

// validate is pure: the open-file limit comes from complete, so a test
// checks it without touching the process's limits.
func TestBenchValidateFileLimit(t *testing.T) {
	opts := func(limit uint64) *benchOptions {
		return &benchOptions{g: &globalOptions{}, clients: 50_000, streamsPerConn: 1, duration: time.Second,
			clientWindow: loadgen.WindowDynamic, heartbeat: time.Second, projectInterval: 15 * time.Second,
			scales: "10k", output: "text", fileLimit: limit}
	}
	cmd := newBenchCmd(&globalOptions{}, nil)
	err := opts(20_000).validate(cmd)
	var ue *usageError
	want := "--clients 50000 needs about 50064 open files but the limit is 20000; lower --clients, raise --streams-per-conn, or raise ulimit -n"
	if !errors.As(err, &ue) || err.Error() != want {
		t.Errorf("validate(50000 clients, limit 20000) = %v, want usage error %q", err, want)
	}
	if err := opts(0).validate(cmd); err != nil {
		t.Errorf("validate(limit unknown) = %v, want nil", err)
	}
}
