package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// jsonLines fails the test for each stderr line that is not one JSON
// object, and returns the objects.
func jsonLines(t *testing.T, what, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("%s with --log-format json: stderr line %q is not JSON", what, l)
			continue
		}
		out = append(out, m)
	}
	return out
}

// TestJSONLogsErrors: with --log-format json, the error Main prints and
// its usage hint are JSON too, so a log pipeline reads every stderr line.
func TestJSONLogsErrors(t *testing.T) {
	streams, _, errOut := testStreams()
	code := Main(testContext(t), []string{"--log-format", "json", "tail", "--count", "-1"}, streams)
	if code != ExitUsage {
		t.Fatalf("tail --count -1 = exit %d, want %d", code, ExitUsage)
	}
	lines := jsonLines(t, "tail --count -1", errOut.String())
	if len(lines) == 0 || lines[0]["level"] != "error" || !strings.Contains(lines[0]["msg"].(string), "--count must be 0 (no limit) or positive") {
		t.Errorf("tail --count -1 stderr = %q, want an error entry naming --count", errOut)
	}
}
