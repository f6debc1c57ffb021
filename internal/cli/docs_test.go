package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsRun writes each kind of reference into a fresh directory.
func TestDocsRun(t *testing.T) {
	for _, tt := range []struct {
		kind, file string
	}{
		{"man", "galaxyctl-tail.1"},
		{"markdown", "galaxyctl_tail.md"},
		{"completions", "_galaxyctl"},
	} {
		dir := filepath.Join(t.TempDir(), "out", tt.kind)
		streams, _, errOut := testStreams()
		if code := Main(testContext(t), []string{"docs", tt.kind, dir}, streams); code != ExitOK {
			t.Fatalf("docs %s = exit %d: %s", tt.kind, code, errOut)
		}
		if _, err := os.Stat(filepath.Join(dir, tt.file)); err != nil {
			t.Errorf("docs %s wrote no %s: %v", tt.kind, tt.file, err)
		}
		if got := errOut.String(); got != "wrote "+tt.kind+" pages to "+dir+"\n" {
			t.Errorf("docs %s stderr = %q", tt.kind, got)
		}
	}
}

func TestDocsErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"docs", "man"}, ExitUsage, "galaxyctl docs man takes one argument, the output directory"},
		{[]string{"docs", "man", "a", "b"}, ExitUsage, "takes one argument"},
		{[]string{"docs", "man", filepath.Join(file, "sub")}, ExitFailure, "docs: mkdir"},
	} {
		streams, _, errOut := testStreams()
		if code := Main(testContext(t), tt.args, streams); code != tt.code || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("%v = exit %d, %q; want %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}
}

// TestCompletionRun prints each shell's script, as the committed ones.
func TestCompletionRun(t *testing.T) {
	for _, c := range completionFiles {
		streams, out, _ := testStreams()
		if code := Main(testContext(t), []string{"completion", c.shell}, streams); code != ExitOK || !strings.Contains(out.String(), "galaxyctl") {
			t.Errorf("completion %s = exit %d, %d bytes; want 0 and a script", c.shell, code, out.Len())
		}
	}
}

func TestSystemStreams(t *testing.T) {
	s := SystemStreams()
	if s.Out != os.Stdout || s.ErrOut != os.Stderr || s.In != os.Stdin {
		t.Errorf("SystemStreams() = %+v, want the process's own streams", s)
	}
}
