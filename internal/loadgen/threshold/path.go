package threshold

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// step is one element of a key path: a name, then any indexes into the
// array it names.
type step struct {
	name  string
	index []int
}

var stepRE = regexp.MustCompile(`^([A-Za-z0-9_]+)((?:\[[0-9]+\])*)$`)

// parsePath reads a dotted path with [i] indexes: projection.scales[1].mbit_per_s.
func parsePath(key string) ([]step, error) {
	if key == "" {
		return nil, fmt.Errorf("no key: want a report key like bytes.ip_per_heartbeat")
	}
	var steps []step
	for _, part := range strings.Split(key, ".") {
		m := stepRE.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("key %q: want names of letters, digits and _ joined by dots, with [i] to index an array, like projection.scales[0].mbit_per_s", key)
		}
		s := step{name: m[1]}
		for _, ix := range strings.Split(strings.Trim(m[2], "[]"), "][") {
			if ix == "" {
				continue
			}
			n, err := strconv.Atoi(ix)
			if err != nil {
				return nil, fmt.Errorf("key %q: index %s is too large", key, ix)
			}
			s.index = append(s.index, n)
		}
		steps = append(steps, s)
	}
	return steps, nil
}

// Lookup returns the number at key in doc, a report decoded as generic
// JSON; ok is false when the key is missing, null or not a number (an
// index past the end of an array included).
func Lookup(doc any, key string) (v float64, ok bool) {
	steps, err := parsePath(key)
	if err != nil {
		return 0, false
	}
	return lookup(doc, steps)
}

func lookup(doc any, steps []step) (float64, bool) {
	f, ok := walk(doc, steps).(float64)
	return f, ok
}

// lookupAny returns the value at key in doc, nil when there is none.
func lookupAny(doc any, key string) any {
	steps, err := parsePath(key)
	if err != nil {
		return nil
	}
	return walk(doc, steps)
}

func walk(doc any, steps []step) any {
	v := doc
	for _, s := range steps {
		obj, isObj := v.(map[string]any)
		if !isObj {
			return nil
		}
		if v, isObj = obj[s.name]; !isObj {
			return nil
		}
		for _, i := range s.index {
			arr, isArr := v.([]any)
			if !isArr || i >= len(arr) {
				return nil
			}
			v = arr[i]
		}
	}
	return v
}
