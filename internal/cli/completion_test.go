package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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

// TestValueFlagsCompleteNoFiles: a flag whose value is an address, a
// number, a duration or a name must not offer file names (the :4
// directive); only the flags marked as files do.
func TestValueFlagsCompleteNoFiles(t *testing.T) {
	t.Chdir(t.TempDir()) // no file names to offer, whatever the directive
	streams, _, _ := testStreams()
	root := NewRootCmd(streams)
	for _, c := range allCommands(root) {
		if c.Hidden || !c.Runnable() || c.Name() == "help" {
			continue
		}
		path := strings.Fields(c.CommandPath())[1:]
		flags := append(flagsOf(c.LocalFlags()), flagsOf(c.InheritedFlags())...)
		for _, f := range flags {
			if f.Value.Type() == "bool" || f.Name == "help" {
				continue
			}
			if _, isFile := f.Annotations[cobra.BashCompFilenameExt]; isFile {
				continue
			}
			args := append(append([]string{}, path...), "--"+f.Name, "")
			_, directive := complete(t, args...)
			if d, err := strconv.Atoi(strings.TrimPrefix(directive, ":")); err != nil || d&int(cobra.ShellCompDirectiveNoFileComp) == 0 {
				t.Errorf("__complete %v directive = %s, want one with NoFileComp (4): --%s takes no file", args, directive, f.Name)
			}
		}
	}
}

func flagsOf(fs *pflag.FlagSet) []*pflag.Flag {
	var out []*pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) { out = append(out, f) })
	return out
}

// TestPayloadCompletesFiles: --payload @<Tab> completes file names behind
// the @, directories with no space after them; a literal payload completes
// nothing.
func TestPayloadCompletesFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"doc.json", "dir/inner.json", ".hidden"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	tests := []struct {
		word          string
		want          []string
		wantDirective string
	}{
		{"@", []string{"@dir/", "@doc.json"}, ":6"},
		{"@do", []string{"@doc.json"}, ":4"},
		{"@di", []string{"@dir/"}, ":6"},
		{"@dir/", []string{"@dir/inner.json"}, ":4"},
		{"@.", []string{"@.hidden"}, ":4"},
		{"@nothing", nil, ":4"},
		{"", nil, ":4"},
		{"{\"id", nil, ":4"},
	}
	for _, tt := range tests {
		got, directive := complete(t, "publish", "--payload", tt.word)
		if !slices.Equal(got, tt.want) || directive != tt.wantDirective {
			t.Errorf("__complete publish --payload %q = %q %s, want %q %s", tt.word, got, directive, tt.want, tt.wantDirective)
		}
	}
}

// TestPayloadCompletesAfterBashSplit: bash splits `--payload @do` at the @,
// so cobra sees --payload "@" and the argument "do".
func TestPayloadCompletesAfterBashSplit(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "doc.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"publish", "--payload", "@", "do"}, []string{"doc.json"}},
		{[]string{"publish", "--payload", "x", "do"}, nil},
		{[]string{"publish", ""}, nil},
	} {
		got, directive := complete(t, tt.args...)
		if !slices.Equal(got, tt.want) || directive != ":4" {
			t.Errorf("__complete %q = %q %s, want %q :4", tt.args, got, directive, tt.want)
		}
	}
}
