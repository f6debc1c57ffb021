package compare

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"galaxy/galaxyctl/internal/units"
)

// ConfigChange is a configuration key whose value differs, with both
// values as the reports have them (null where a report lacks the key).
type ConfigChange struct {
	Key  string `json:"key"`
	Base any    `json:"base"`
	New  any    `json:"new"`
}

// configDiff lists the keys of the reports' config objects whose values
// differ, in key order. It reads the JSON, so keys added by later
// versions of bench compare too.
func configDiff(base, next map[string]any) []ConfigChange {
	b, _ := base["config"].(map[string]any)
	n, _ := next["config"].(map[string]any)
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range n {
		keys[k] = true
	}
	out := []ConfigChange{}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if !reflect.DeepEqual(b[k], n[k]) {
			out = append(out, ConfigChange{Key: k, Base: b[k], New: n[k]})
		}
	}
	return out
}

// warnings says what makes the comparison less than like for like:
// configuration that differs (named, not refused: comparing static with
// dynamic windows, or TLS with h2c, is what compare is for), a run that
// was interrupted or has no measurement window.
func warnings(res *Result) []string {
	var w []string
	var keys []string
	for _, c := range res.ConfigDiff {
		if !samePlace(c) {
			keys = append(keys, c.Key)
		}
	}
	if len(keys) > 0 {
		w = append(w, fmt.Sprintf("the runs differ in %s: every change below includes their effect", strings.Join(keys, ", ")))
	}
	for _, s := range []struct {
		name string
		side Side
	}{{"base", res.Base}, {"new", res.New}} {
		switch {
		case s.side.MeasureMS == 0:
			w = append(w, fmt.Sprintf("the %s run (%s) has no measurement window: its per-heartbeat figures are null", s.name, s.side.File))
		case s.side.Interrupted:
			w = append(w, fmt.Sprintf("the %s run (%s) was interrupted: its figures cover the %s of its window it measured", s.name, s.side.File, units.Millis(s.side.MeasureMS)))
		}
	}
	if w == nil {
		w = []string{}
	}
	return w
}

// samePlace is whether a change is only the port of bench's embedded
// gateway, which is new on every run: addr or server_metrics_url on
// loopback, the same but for the port.
func samePlace(c ConfigChange) bool {
	if c.Key != "addr" && c.Key != "server_metrics_url" {
		return false
	}
	a, aok := c.Base.(string)
	b, bok := c.New.(string)
	if !aok || !bok {
		return false
	}
	ha, ra := splitPort(a)
	hb, rb := splitPort(b)
	ip, err := netip.ParseAddr(ha)
	return ha == hb && ra == rb && err == nil && ip.IsLoopback()
}

// splitPort returns the host of an address or URL and the rest without
// the port.
func splitPort(s string) (host, rest string) {
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		h, _, err := net.SplitHostPort(u.Host)
		if err != nil {
			return u.Host, u.Path
		}
		return h, u.Scheme + u.Path
	}
	h, _, err := net.SplitHostPort(s)
	if err != nil {
		return s, ""
	}
	return h, ""
}

// valueText writes a config value for a table: strings bare, the rest as
// JSON, a missing key as "-".
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		if x == "" {
			return `""`
		}
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
