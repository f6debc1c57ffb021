package threshold

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	"galaxy/galaxyctl/internal/loadgen/report"
)

// node is one key of the report's JSON, learned from the Go types by
// reflection, so every key the report has is a key a threshold can name,
// and a key added to the report is one at once.
type node struct {
	kind   nodeKind
	what   string // for kindOther: what it is instead of a number
	fields map[string]*node
	elem   *node // arrays and maps
}

type nodeKind int

const (
	kindNumber nodeKind = iota
	kindObject
	kindArray
	kindMap // an object whose keys are data (errors by code)
	kindOther
)

var (
	figureType    = reflect.TypeFor[report.Figure]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()

	schemaOnce sync.Once
	schema     *node
)

// reportSchema is the schema of the report as the JSON printer writes it.
func reportSchema() *node {
	schemaOnce.Do(func() { schema = schemaOf(reflect.TypeFor[report.Report]()) })
	return schema
}

func schemaOf(t reflect.Type) *node {
	if t == figureType {
		return &node{kind: kindNumber}
	}
	if t.Kind() == reflect.Pointer {
		return schemaOf(t.Elem())
	}
	if t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
		return &node{kind: kindOther, what: "a string"}
	}
	if t.Implements(jsonMarshaler) {
		return &node{kind: kindOther, what: "not a number"}
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return &node{kind: kindNumber}
	case reflect.Bool:
		return &node{kind: kindOther, what: "true or false"}
	case reflect.String:
		return &node{kind: kindOther, what: "a string"}
	case reflect.Slice, reflect.Array:
		return &node{kind: kindArray, elem: schemaOf(t.Elem())}
	case reflect.Map:
		return &node{kind: kindMap, elem: schemaOf(t.Elem())}
	case reflect.Struct:
		n := &node{kind: kindObject, fields: map[string]*node{}}
		addFields(n, t)
		return n
	}
	return &node{kind: kindOther, what: "not a number"}
}

// addFields adds t's JSON fields to n, flattening embedded structs as
// encoding/json does.
func addFields(n *node, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			addFields(n, f.Type)
			continue
		}
		if name == "" {
			name = f.Name
		}
		n.fields[name] = schemaOf(f.Type)
	}
}

// check resolves steps in the schema: nil when they name a number.
func (n *node) check(steps []step) error {
	cur, path := n, ""
	for _, s := range steps {
		at := join(path, s.name)
		switch cur.kind {
		case kindObject:
			child, ok := cur.fields[s.name]
			if !ok {
				return unknownKey(n, steps, path)
			}
			cur = child
		case kindMap:
			cur = cur.elem
		case kindArray:
			return fmt.Errorf("%s is an array: pick an element with [i], like %s[0].%s", path, path, s.name)
		default:
			return fmt.Errorf("%s is %s, it has no keys", path, describe(cur))
		}
		for range s.index {
			if cur.kind != kindArray {
				return fmt.Errorf("%s is %s, not an array: it takes no [i]", at, describe(cur))
			}
			cur = cur.elem
			at += "[i]"
		}
		path = at
	}
	switch cur.kind {
	case kindNumber:
		return nil
	case kindArray:
		return fmt.Errorf("%s is an array: pick an element with [i], like %s[0]", path, path)
	case kindObject, kindMap:
		return fmt.Errorf("%s is an object: name one of its numbers%s", path, example(cur, path))
	}
	return fmt.Errorf("%s is %s, not a number", path, cur.what)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func describe(n *node) string {
	switch n.kind {
	case kindNumber:
		return "a number"
	case kindArray:
		return "an array"
	case kindObject, kindMap:
		return "an object"
	}
	return n.what
}

// example names a number among n's keys, for a hint.
func example(n *node, path string) string {
	if n.kind != kindObject {
		return ""
	}
	for _, k := range slices.Sorted(maps.Keys(n.fields)) {
		if n.fields[k].kind == kindNumber {
			return ", like " + join(path, k)
		}
	}
	return ""
}

// unknownKey says a key is not in the report, with the closest number
// key when one is close.
func unknownKey(root *node, steps []step, parent string) error {
	want := pattern(steps)
	msg := "unknown key " + want
	if parent != "" {
		msg += " (" + parent + " has no " + steps[strings.Count(parent, ".")+1].name + ")"
	}
	best, bestD := "", len(want)/3+2
	for _, k := range root.numberKeys("") {
		if d := distance(want, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		msg += "; did you mean " + best + "?"
	}
	return errors.New(msg)
}

// pattern writes steps with every index as [i].
func pattern(steps []step) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = s.name + strings.Repeat("[i]", len(s.index))
	}
	return strings.Join(parts, ".")
}

// numberKeys lists every number key under n, arrays as [i].
func (n *node) numberKeys(path string) []string {
	switch n.kind {
	case kindNumber:
		return []string{path}
	case kindArray:
		return n.elem.numberKeys(path + "[i]")
	case kindObject:
		var out []string
		for _, k := range slices.Sorted(maps.Keys(n.fields)) {
			out = append(out, n.fields[k].numberKeys(join(path, k))...)
		}
		return out
	}
	return nil
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
