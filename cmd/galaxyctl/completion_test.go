package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const bashCompletionLib = "/usr/share/bash-completion/bash_completion"

// bashComplete sources the committed bash script into a real bash with the
// bash-completion package, asks it to complete line, and returns COMPREPLY.
func bashComplete(t *testing.T, ctx context.Context, line string) []string {
	t.Helper()
	script, err := filepath.Abs("../../completions/galaxyctl.bash")
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields(line)
	if strings.HasSuffix(line, " ") {
		words = append(words, "")
	}
	cword := len(words) - 1
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = "'" + w + "'"
	}
	prog := strings.Join([]string{
		"source " + bashCompletionLib,
		"source " + script,
		"COMP_WORDS=(" + strings.Join(quoted, " ") + ")",
		"COMP_CWORD=" + strconv.Itoa(cword),
		"COMP_LINE='" + line + "'",
		"COMP_POINT=${#COMP_LINE}",
		"COMP_TYPE=9",
		"__start_galaxyctl galaxyctl",
		`printf '%s\n' "${COMPREPLY[@]}"`,
	}, "\n")
	cmd := exec.CommandContext(ctx, "bash", "--norc", "--noprofile", "-c", prog)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(binPath)+":"+os.Getenv("PATH"))
	// compopt complains on stderr outside a real completion; only
	// COMPREPLY, on stdout, matters.
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash completion of %q: %v", line, err)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			got = append(got, l)
		}
	}
	return got
}

func TestBashCompletesInARealShell(t *testing.T) {
	if _, err := os.Stat(bashCompletionLib); err != nil {
		t.Skipf("bash-completion is not installed (%v); .ci/run installs it", err)
	}
	ctx := testCtx(t)
	tests := []struct {
		line string
		want []string
	}{
		{"galaxyctl ta", []string{"tail"}},
		{"galaxyctl tail --target ", []string{"backend", "gateway"}},
		{"galaxyctl serve --role ", []string{"all", "backend", "gateway"}},
		{"galaxyctl tail -o j", []string{"json"}},
	}
	for _, tt := range tests {
		got := bashComplete(t, ctx, tt.line)
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("bash completion of %q = %q, want %q", tt.line, got, tt.want)
		}
	}
}
