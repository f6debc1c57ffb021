// Package threshold checks a bench report's figures against limits: bench
// --threshold 'bytes.ip_per_heartbeat<=160' after a run, and bench compare
// 'bytes.ip_per_heartbeat:+5%' between two. A key is any number of the
// report's JSON, as a dotted path with [i] into arrays; which keys exist
// is learned from the report's Go types, so a threshold naming a key the
// report does not have is refused before the run.
package threshold

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"galaxy/galaxyctl/internal/loadgen/report"
)

// Operators are the comparisons a threshold takes, in the order an error
// lists them.
var Operators = []string{"<", "<=", ">", ">=", "=="}

// Threshold is one parsed check.
type Threshold struct {
	// Raw is the threshold as it was given.
	Raw string
	// Key is the report key it checks.
	Key   string
	steps []step
	unit  Unit
	// Op and Limit hold an absolute threshold: the value must be Op Limit,
	// Limit in the key's unit (bytes, milliseconds).
	Op    string
	Limit float64
	// Relative thresholds (KEY:+5%) hold the new value of a comparison
	// within Percent of the base: at most base × 1.05 for +5, at least
	// base × 0.95 for -5.
	Relative bool
	Percent  float64
}

// Error is a threshold that cannot be parsed, with the reason.
type Error struct {
	Threshold string
	Reason    string
}

func (e *Error) Error() string { return strconv.Quote(e.Threshold) + ": " + e.Reason }

var relativeRE = regexp.MustCompile(`^(.*?)\s*:\s*([+-])\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*%$`)

// Parse reads a threshold, absolute (KEY OP VALUE) or relative (KEY:+N%
// or KEY:-N%), and checks that its key is a number of the report and its
// value's unit fits the key. Every error is an *Error.
func Parse(s string) (Threshold, error) {
	t := Threshold{Raw: s}
	fail := func(format string, args ...any) (Threshold, error) {
		return Threshold{}, &Error{Threshold: s, Reason: fmt.Sprintf(format, args...)}
	}
	in := strings.TrimSpace(s)
	var value string
	if m := relativeRE.FindStringSubmatch(in); m != nil {
		t.Key, t.Relative = m[1], true
		t.Percent, _ = strconv.ParseFloat(m[3], 64)
		if m[2] == "-" {
			t.Percent = -t.Percent
		}
	} else {
		i := strings.IndexAny(in, "<>=!")
		if i < 0 {
			if strings.Contains(in, ":") {
				return fail("want KEY:+N%% or KEY:-N%% for a change against the base, like bytes.ip_per_heartbeat:+5%%")
			}
			return fail("no operator: want KEY OP VALUE with OP one of %s, like bytes.ip_per_heartbeat<=160", strings.Join(Operators, " "))
		}
		j := i
		for j < len(in) && strings.ContainsRune("<>=!", rune(in[j])) {
			j++
		}
		t.Op = in[i:j]
		if !contains(Operators, t.Op) {
			return fail("bad operator %q: want one of %s", t.Op, strings.Join(Operators, " "))
		}
		t.Key, value = strings.TrimSpace(in[:i]), strings.TrimSpace(in[j:])
	}
	steps, err := parsePath(t.Key)
	if err != nil {
		return fail("%v", err)
	}
	if err := reportSchema().check(steps); err != nil {
		return fail("%v", err)
	}
	t.steps, t.unit = steps, unitOf(steps)
	if !t.Relative {
		if t.Limit, err = t.unit.parse(t.Key, value); err != nil {
			return fail("%v", err)
		}
	}
	return t, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Unit is what a key counts, which decides the suffixes its limit takes
// and how its values print.
type Unit int

// Units of report keys.
const (
	Plain  Unit = iota // counts, rates, segments: a plain number
	Bytes              // bytes: B, kB, MB, ... KiB, MiB, ...
	Millis             // a *_ms key: ms or s
	Memory             // bytes of memory: as Bytes, printed in IEC units
)

// unitOf is the unit of a key, by its name.
func unitOf(steps []step) Unit {
	first, last := steps[0].name, steps[len(steps)-1].name
	switch {
	case strings.HasSuffix(last, "_ms"):
		return Millis
	case first == "memory" && (strings.Contains(last, "bytes") || strings.Contains(last, "rss") ||
		strings.Contains(last, "heap") || strings.Contains(last, "stack")),
		strings.HasSuffix(last, "rss_bytes"):
		return Memory
	case first == "bytes", strings.Contains(last, "bytes"),
		first == "layers" && (last == "measured" || last == "model" || last == "diff"):
		return Bytes
	}
	return Plain
}

// UnitOf is the unit of a report key; Plain for a key it cannot read.
func UnitOf(key string) Unit {
	steps, err := parsePath(key)
	if err != nil {
		return Plain
	}
	return unitOf(steps)
}

var (
	valueRE      = regexp.MustCompile(`^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)$`)
	byteSuffixes = map[string]float64{
		"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
	}
	byteSuffixList = "B, kB, MB, GB, TB, KiB, MiB, GiB, TiB"
	msSuffixes     = map[string]float64{"ms": 1, "s": 1000}
)

// parse reads a limit for key in u: a number, with a suffix u allows.
func (u Unit) parse(key, v string) (float64, error) {
	if v == "" {
		return 0, fmt.Errorf("no value after the operator: want a number, like 160 or 40KiB")
	}
	m := valueRE.FindStringSubmatch(v)
	if m == nil {
		return 0, fmt.Errorf("value %q: want a number, with a unit where the key has one (160, 40KiB, 1.1s)", v)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil || math.IsInf(n, 0) {
		return 0, fmt.Errorf("value %q: out of range", v)
	}
	suffix := m[2]
	if suffix == "" {
		return n, nil
	}
	switch u {
	case Bytes, Memory:
		if f, ok := byteSuffixes[suffix]; ok {
			return n * f, nil
		}
		return 0, fmt.Errorf("unit %q for %s: want a plain number of bytes or one of %s", suffix, key, byteSuffixList)
	case Millis:
		if f, ok := msSuffixes[suffix]; ok {
			return n * f, nil
		}
		return 0, fmt.Errorf("unit %q for %s: want a plain number of milliseconds, or one with ms or s", suffix, key)
	}
	return 0, fmt.Errorf("unit %q for %s: it is a count, not bytes or time; write a plain number", suffix, key)
}

// guards are keys that mean nothing unless a flag of the report is true:
// the server's memory is 0, not null, when its metrics were not read.
var guards = []struct{ prefix, flag string }{
	{"memory.server_", "memory.server_available"},
	{"tcp_info.", "tcp_info.available"},
}

// value is the number at the threshold's key in doc; ok is false when it
// is missing, null, or guarded by a flag that is false.
func (t Threshold) value(doc any) (float64, bool) {
	for _, g := range guards {
		if strings.HasPrefix(t.Key, g.prefix) && t.Key != g.flag {
			if on, _ := lookupAny(doc, g.flag).(bool); !on {
				return 0, false
			}
		}
	}
	return lookup(doc, t.steps)
}

// Check holds the value at the threshold's key in doc, a report decoded
// as generic JSON, against an absolute threshold. A missing or null
// value fails, and so does the server's memory when the server's metrics
// were not read (memory.server_available false), or a tcp_info key
// without TCP_INFO.
func (t Threshold) Check(doc any) report.ThresholdResult {
	v, ok := t.value(doc)
	return t.result(t.Op, report.Figure(t.Limit), v, ok)
}

// CheckRelative holds the value in newDoc against the base's in baseDoc
// (an absolute threshold is held against newDoc alone). It returns the
// result and the base value, missing when there is none, which fails.
func (t Threshold) CheckRelative(baseDoc, newDoc any) (report.ThresholdResult, report.Figure) {
	if !t.Relative {
		return t.Check(newDoc), report.Missing
	}
	b, bok := t.value(baseDoc)
	base, limit := report.Missing, report.Missing
	if bok {
		base = report.Figure(b)
		limit = report.Figure(b + math.Abs(b)*t.Percent/100)
	}
	op := "<="
	if t.Percent < 0 {
		op = ">="
	}
	v, ok := t.value(newDoc)
	return t.result(op, limit, v, ok), base
}

func (t Threshold) result(op string, limit report.Figure, v float64, ok bool) report.ThresholdResult {
	r := report.ThresholdResult{Threshold: t.Raw, Key: t.Key, Op: op, Limit: limit, Value: report.Missing}
	if ok {
		r.Value = report.Figure(v)
	}
	if !ok || !limit.OK() {
		return r
	}
	l := float64(limit)
	switch op {
	case "<":
		r.Pass = v < l
	case "<=":
		r.Pass = v <= l
	case ">":
		r.Pass = v > l
	case ">=":
		r.Pass = v >= l
	case "==":
		r.Pass = v == l
	}
	return r
}

// Failed counts the results that did not pass.
func Failed(rs []report.ThresholdResult) int {
	n := 0
	for _, r := range rs {
		if !r.Pass {
			n++
		}
	}
	return n
}
