package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// complete drives cobra's hidden __complete command, as the shell scripts
// do, and returns the offered values and the directive line.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	streams, out, _ := testStreams()
	if code := Main(testContext(t), append([]string{"__complete"}, args...), streams); code != 0 {
		t.Fatalf("__complete %v exit = %d", args, code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var vals []string
	for _, l := range lines[:len(lines)-1] {
		v, _, _ := strings.Cut(l, "\t") // drop descriptions
		vals = append(vals, v)
	}
	return vals, lines[len(lines)-1]
}

func TestFlagValueCompletion(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"tail", "--target", ""}, tailTargets},
		{[]string{"tail", "-o", ""}, tailOutputs},
		{[]string{"tail", "--output", ""}, tailOutputs},
		{[]string{"serve", "--role", ""}, serveRoles},
		{[]string{"tail", "--log-level", ""}, logLevels},
		{[]string{"serve", "--log-format", ""}, logFormats},
		{[]string{"--log-level", ""}, logLevels},
	}
	for _, tt := range tests {
		got, directive := complete(t, tt.args...)
		if !slices.Equal(got, tt.want) {
			t.Errorf("__complete %v = %v, want %v", tt.args, got, tt.want)
		}
		// :4 is ShellCompDirectiveNoFileComp: no file names mixed in.
		if directive != ":4" {
			t.Errorf("__complete %v directive = %s, want :4", tt.args, directive)
		}
	}
}

// Every value offered must be one the command accepts.
func TestCompletedValuesAreAccepted(t *testing.T) {
	for _, v := range tailTargets {
		o := &tailOptions{target: v, output: "pretty", backoffBase: 1, backoffMax: 1, client: clientOptions{addr: defaultAddr}}
		if err := o.validate(newTailCmd(&globalOptions{}, nil)); err != nil {
			t.Errorf("tail --target %s: %v, want accepted", v, err)
		}
	}
	for _, v := range logLevels {
		if _, err := newLogger(os.Stderr, v, "console"); err != nil {
			t.Errorf("--log-level %s: %v, want accepted", v, err)
		}
	}
}

func TestFileFlagCompletion(t *testing.T) {
	tests := [][]string{
		{"serve", "--tls-cert", ""},
		{"serve", "--tls-key", ""},
		{"serve", "--signing-key", ""},
		{"serve", "--ready-file", ""},
		{"tail", "--cacert", ""},
		{"tail", "--verify-key", ""},
		{"publish", "--cacert", ""},
	}
	for _, args := range tests {
		got, directive := complete(t, args...)
		// :0 is the default directive: the shell completes file names.
		if len(got) != 0 || directive != ":0" {
			t.Errorf("__complete %v = %v %s, want file completion (no values, :0)", args, got, directive)
		}
	}
}

func TestCommandCompletion(t *testing.T) {
	got, _ := complete(t, "ta")
	if !slices.Equal(got, []string{"tail"}) {
		t.Errorf("__complete ta = %v, want [tail]", got)
	}
}

// The scripts in completions/ must be exactly what the binary prints, so a
// flag added without regenerating them fails here.
func TestCompletionScriptsCurrent(t *testing.T) {
	for _, c := range completionFiles {
		want, err := os.ReadFile(filepath.Join("..", "..", "completions", c.file))
		if err != nil {
			t.Fatalf("read completions/%s: %v (run: go generate ./cmd/galaxyctl)", c.file, err)
		}
		streams, out, _ := testStreams()
		if code := Main(testContext(t), []string{"completion", c.shell}, streams); code != 0 {
			t.Fatalf("completion %s exit = %d", c.shell, code)
		}
		if out.String() != string(want) {
			t.Errorf("completions/%s differs from `galaxyctl completion %s`; run: go generate ./cmd/galaxyctl", c.file, c.shell)
		}
	}
}

// The markdown reference under docs/ must match the command tree.
func TestMarkdownDocsCurrent(t *testing.T) {
	dir := t.TempDir()
	streams, _, _ := testStreams()
	if code := Main(testContext(t), []string{"docs", "markdown", dir}, streams); code != 0 {
		t.Fatalf("docs markdown exit = %d", code)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	if len(files) == 0 {
		t.Fatal("docs markdown wrote no pages")
	}
	for _, f := range files {
		got, _ := os.ReadFile(f)
		want, err := os.ReadFile(filepath.Join("..", "..", "docs", filepath.Base(f)))
		if err != nil || string(got) != string(want) {
			t.Errorf("docs/%s is missing or stale; run: go generate ./cmd/galaxyctl", filepath.Base(f))
		}
	}
}

func TestEveryCommandHasHelpAndExample(t *testing.T) {
	streams, _, _ := testStreams()
	root := NewRootCmd(streams)
	for _, c := range allCommands(root) {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		if c.Short == "" {
			t.Errorf("%s has no Short", c.CommandPath())
		}
		if c.Runnable() && c.Example == "" {
			t.Errorf("%s has no Example", c.CommandPath())
		}
	}
}

func allCommands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		out = append(out, allCommands(sub)...)
	}
	return out
}
