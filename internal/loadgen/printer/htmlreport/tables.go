package htmlreport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/threshold"
	"galaxy/galaxyctl/internal/units"
)

// pair is one key of a JSON object, in the order the file has it.
type pair struct {
	Key   string
	Value json.RawMessage
}

// orderedObject reads a JSON object's keys in their order.
func orderedObject(raw json.RawMessage) ([]pair, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var out []pair
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, pair{Key: t.(string), Value: v})
	}
	return out, nil
}

// kv is one row of a two-column table.
type kv struct{ Key, Value string }

// configRows is the run's configuration in the file's order, so keys
// this version does not know (a newer bench's) show too.
func configRows(raw json.RawMessage) []kv {
	pairs, err := orderedObject(raw)
	if err != nil {
		return nil
	}
	rows := make([]kv, 0, len(pairs))
	for _, p := range pairs {
		rows = append(rows, kv{p.Key, valueText(p.Key, p.Value)})
	}
	return rows
}

// valueText writes a JSON value for a cell: numbers in the key's unit,
// strings bare, lists comma-separated, empty ones as "-".
func valueText(key string, raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		if x == "" {
			return "-"
		}
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case float64:
		return threshold.Format(key, report.Figure(x))
	case []any:
		if len(x) == 0 {
			return "-"
		}
		parts := make([]string, len(x))
		for i, e := range x {
			b, _ := json.Marshal(e)
			parts[i] = valueText(key, b)
		}
		return strings.Join(parts, ", ")
	}
	return string(raw)
}

// shardTable is the per-shard rows of a merged or multi-worker run.
type shardTable struct {
	Columns []string
	Rows    [][]string
}

// shardColumns are the keys a shard row shows first when it has them.
var shardColumns = []string{
	"index", "shard", "worker", "name", "host", "addr", "config.addr",
	"clients", "clients.requested", "clients.connected", "clients.failed", "connected",
	"heartbeats.received", "heartbeats.per_second", "heartbeats.gap_p99_ms",
	"bytes.ip_per_heartbeat", "segments.per_heartbeat",
	"memory.client_bytes_per_stream", "memory.server_bytes_per_stream", "interrupted",
}

const maxShardColumns = 12

// shards lays out the report's shards[] when it has one: whatever a
// shard holds, its scalar keys (nested ones dotted) become columns, the
// known ones first.
func shards(raw json.RawMessage) (shardTable, bool) {
	var items []json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &items) != nil || len(items) == 0 {
		return shardTable{}, false
	}
	var flat []map[string]json.RawMessage
	var seen []string
	for _, it := range items {
		m := map[string]json.RawMessage{}
		flatten("", it, m, &seen)
		flat = append(flat, m)
	}
	var cols []string
	for _, k := range shardColumns {
		if slices.Contains(seen, k) {
			cols = append(cols, k)
		}
	}
	for _, k := range seen {
		if len(cols) >= maxShardColumns {
			break
		}
		if !slices.Contains(cols, k) {
			cols = append(cols, k)
		}
	}
	t := shardTable{Columns: cols}
	for _, m := range flat {
		row := make([]string, len(cols))
		for i, k := range cols {
			row[i] = "-"
			if v, ok := m[k]; ok {
				row[i] = valueText(k, v)
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t, len(cols) > 0
}

// flatten collects the scalar values of a JSON value under dotted keys,
// noting each key the first time it is seen.
func flatten(prefix string, raw json.RawMessage, out map[string]json.RawMessage, seen *[]string) {
	if pairs, err := orderedObject(raw); err == nil {
		for _, p := range pairs {
			k := p.Key
			if prefix != "" {
				k = prefix + "." + k
			}
			flatten(k, p.Value, out, seen)
		}
		return
	}
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
		return // arrays do not fit a cell
	}
	if prefix == "" {
		return
	}
	if !slices.Contains(*seen, prefix) {
		*seen = append(*seen, prefix)
	}
	out[prefix] = raw
}

// thresholdRow is one checked threshold.
type thresholdRow struct {
	Pass               bool
	Verdict, Threshold string
	Value, Limit       string
}

func thresholdRows(rs []report.ThresholdResult) []thresholdRow {
	rows := make([]thresholdRow, 0, len(rs))
	for _, r := range rs {
		rows = append(rows, thresholdRow{Pass: r.Pass, Verdict: threshold.Verdict(r), Threshold: r.Threshold,
			Value: threshold.Format(r.Key, r.Value), Limit: r.Op + " " + threshold.Format(r.Key, r.Limit)})
	}
	return rows
}

// layerRow is one row of the report's per-layer table.
type layerRow struct {
	Layer, Direction, Unit, Measured, Model, Diff string
}

func layerRows(ls []report.LayerRow) []layerRow {
	rows := make([]layerRow, 0, len(ls))
	for _, l := range ls {
		row := layerRow{Layer: l.Layer, Direction: l.Direction, Unit: l.Unit,
			Measured: units.Fixed(float64(l.Measured), 2), Model: "-", Diff: "-"}
		if l.Model != nil {
			row.Model = units.Fixed(*l.Model, 2)
		}
		if l.Diff != nil {
			row.Diff = fmt.Sprintf("%+.2f", *l.Diff)
		}
		rows = append(rows, row)
	}
	return rows
}
