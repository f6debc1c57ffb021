package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeBlock returns the lines of the first ```sh block after the README
// heading that starts with heading.
func readmeBlock(t *testing.T, heading string) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "\n"+heading)
	if !ok {
		t.Fatalf("README.md has no heading %q", heading)
	}
	_, after, ok = strings.Cut(after, "```sh\n")
	if !ok {
		t.Fatalf("README.md has no ```sh block after %q", heading)
	}
	block, _, _ := strings.Cut(after, "```")
	return strings.Split(strings.TrimSuffix(block, "\n"), "\n")
}

// TestReadmeCompletionInstall runs the README's completion install lines
// as a new user would, in a fresh home directory where none of the
// directories exist yet, then checks that each shell finds the script
// where they put it.
func TestReadmeCompletionInstall(t *testing.T) {
	ctx := testCtx(t)
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + filepath.Dir(binPath) + ":" + os.Getenv("PATH"), "TERM=dumb"}
	script := "set -euo pipefail\n" + strings.Join(readmeBlock(t, "## Shell completion"), "\n")
	cmd := exec.CommandContext(ctx, "bash", "--norc", "--noprofile", "-c", script)
	cmd.Env, cmd.Dir = env, home
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("README completion install lines in a fresh $HOME: %v\n%s\n%s", err, script, out)
	}
	checks := []struct {
		shell string
		need  string
		args  []string
		want  string
	}{
		{"bash", bashCompletionLib, []string{"--norc", "--noprofile", "-c",
			"source " + bashCompletionLib + "; __load_completion galaxyctl && complete -p galaxyctl"}, "__start_galaxyctl"},
		{"zsh", "", []string{"-i", "-c", "print -r -- ${_comps[galaxyctl]}"}, "_galaxyctl"},
		{"fish", "", []string{"-c", "complete -C'galaxyctl ta'"}, "tail"},
	}
	for _, c := range checks {
		if _, err := exec.LookPath(c.shell); err != nil {
			t.Logf("%s is not installed; its install line ran but is not checked", c.shell)
			continue
		}
		if c.need != "" {
			if _, err := os.Stat(c.need); err != nil {
				t.Logf("%s is not installed; the bash install line is not checked", c.need)
				continue
			}
		}
		cmd := exec.CommandContext(ctx, c.shell, c.args...)
		var out bytes.Buffer
		cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = env, home, &out, &out
		err := cmd.Run()
		if err != nil || !strings.Contains(out.String(), c.want) {
			t.Errorf("%s after the README install lines: %v, output %q; want %q", c.shell, err, out.String(), c.want)
		}
	}
}
