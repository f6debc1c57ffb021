package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// TestManPagesHaveExitStatusAndEnvironment: every man page says how the
// command exits and what environment it reads.
func TestManPagesHaveExitStatusAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	streams, _, errOut := testStreams()
	if code := Main(testContext(t), []string{"docs", "man", dir}, streams); code != ExitOK {
		t.Fatalf("docs man = exit %d: %s", code, errOut)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "*.1"))
	if len(pages) < 5 {
		t.Fatalf("docs man wrote %d pages, want one per command", len(pages))
	}
	for _, p := range pages {
		b, _ := os.ReadFile(p)
		page := string(b)
		name := filepath.Base(p)
		for _, want := range []string{".SH EXIT STATUS", "\\fB0\\fP", "\\fB1\\fP", "\\fB2\\fP", "\\fB130\\fP", ".SH ENVIRONMENT"} {
			if !strings.Contains(page, want) {
				t.Errorf("man page %s lacks %q", name, want)
			}
		}
		if es, env := strings.Index(page, ".SH EXIT STATUS"), strings.Index(page, ".SH SEE ALSO"); env >= 0 && es > env {
			t.Errorf("man page %s has EXIT STATUS after SEE ALSO, want it before", name)
		}
	}
	for page, want := range map[string]string{
		"galaxyctl-tail.1":    "GALAXYCTL_ADDR",
		"galaxyctl-publish.1": "GALAXYCTL_ADDR",
		"galaxyctl-bench.1":   "NO_COLOR",
		"galaxyctl-serve.1":   "TMPDIR",
		"galaxyctl.1":         "GALAXYCTL_ADDR",
	} {
		b, _ := os.ReadFile(filepath.Join(dir, page))
		_, env, _ := strings.Cut(string(b), ".SH ENVIRONMENT")
		if !strings.Contains(env, want) {
			t.Errorf("man page %s ENVIRONMENT lacks %s", page, want)
		}
	}
}

// readmeTable returns the rows of the first table after the README
// heading, each row's cells trimmed, the header and rule left out.
func readmeTable(t *testing.T, heading string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no heading %q", heading)
	}
	var rows [][]string
	for _, l := range strings.Split(after, "\n") {
		if !strings.HasPrefix(l, "|") {
			if len(rows) > 0 {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), " | ")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, cells)
	}
	if len(rows) < 2 {
		t.Fatalf("README.md has no table under %q", heading)
	}
	return rows[2:]
}

// TestReadmeExitCodesAndEnvironment: the README's tables are the ones the
// man pages print.
func TestReadmeExitCodesAndEnvironment(t *testing.T) {
	var want [][]string
	for _, e := range exitCodes {
		want = append(want, []string{strconv.Itoa(e.code), e.meaning})
	}
	if got := readmeTable(t, "## Exit codes"); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("README exit codes = %q, want %q (exitCodes in exitcode.go)", got, want)
	}
	want = nil
	for _, e := range environment {
		want = append(want, []string{"`" + e.name + "`", "`" + strings.Join(e.commands, "`, `") + "`", e.meaning})
	}
	if got := readmeTable(t, "## Environment"); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("README environment = %q, want %q (environment in manpage.go)", got, want)
	}
}
