package cli

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/loadgen/report"
)

// benchFlags names the flag that sets each loadgen.Config field: one
// table for config errors, the file-limit check and the report's notes.
var benchFlags = map[string]string{
	"Addr": "--addr", "Clients": "--clients", "StreamsPerConn": "--streams-per-conn",
	"RampRate": "--ramp-rate", "SourceAddrs": "--source-addrs", "Warmup": "--warmup",
	"Duration": "--duration", "TLS": "--tls", "ClientWindow": "--client-window",
	"ProjectInterval": "--project-interval", "Scales": "--scales",
	"ServerMetricsURL": "--server-metrics", "ExpectedInterval": "--heartbeat",
	"Protocol": "--protocol", "HTTP": "--http", "Codec": "--codec", "Profile": "--profile", "Engine": "--engine",
}

// benchFlagName names a hint by its flag ("--client-window static"); a
// field without a flag keeps its Config name.
func benchFlagName(h report.Hint) string {
	f, ok := benchFlags[h.Field]
	if !ok {
		return report.FieldNames(h)
	}
	if h.Value != "" {
		return f + " " + h.Value
	}
	return f
}

// benchConfigError maps a loadgen config field to the flag that set it,
// as a usage error.
func benchConfigError(err error) error {
	var ce *loadgen.ConfigError
	if errors.As(err, &ce) {
		f, ok := benchFlags[ce.Field]
		if !ok {
			return err
		}
		if other, ok := benchFlags[ce.Other]; ok {
			return usagef("%s %v does not go with %s: want %s", f, ce.Value, other, ce.Accepted)
		}
		return usagef("%s: got %v, want %s", f, ce.Value, ce.Accepted)
	}
	var fe *loadgen.FileLimitError
	if errors.As(err, &fe) {
		return usagef("%s", fe.Note().Text(benchFlagName))
	}
	return err
}

// joinInts writes ns comma-separated, as --scales reads them.
func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

// parseScales parses --scales: positive client counts separated by
// commas, each a whole number with an optional k (thousand) or M
// (million) suffix: 10k,100k,1M.
func parseScales(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, ok := parseCount(strings.TrimSpace(f))
		if !ok {
			return nil, usagef("--scales %q: want positive client counts separated by commas, like 10k,100k,1M or 10000,100000,1000000", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseCount reads a positive count with an optional k or M suffix.
func parseCount(f string) (int, bool) {
	mult := 1
	switch {
	case strings.HasSuffix(f, "k"), strings.HasSuffix(f, "K"):
		mult, f = 1_000, f[:len(f)-1]
	case strings.HasSuffix(f, "M"):
		mult, f = 1_000_000, f[:len(f)-1]
	}
	if f == "" || f[0] < '0' || f[0] > '9' {
		return 0, false // no sign, no blank before a suffix
	}
	n, err := strconv.Atoi(f)
	if err != nil || n < 1 || n > math.MaxInt/mult {
		return 0, false
	}
	return n * mult, true
}
