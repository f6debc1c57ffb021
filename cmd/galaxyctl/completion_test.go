package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const bashCompletionLib = "/usr/share/bash-completion/bash_completion"

// completionDir is a directory with files in it, where file completion,
// when a shell falls back to it, has something to offer.
func completionDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"doc.json", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// shellEnv is the environment a shell runs galaxyctl's script in: the
// binary first on PATH.
func shellEnv() []string {
	return append(os.Environ(), "PATH="+filepath.Dir(binPath)+":"+os.Getenv("PATH"))
}

// bashWords splits line into COMP_WORDS as bash does: at blanks, and
// around runs of the other COMP_WORDBREAKS characters ("'@><=;|&(:), so
// --payload @do is three words, as a user's bash sees it.
func bashWords(line string) []string {
	const breaks = "\"'@><=;|&(:"
	var words []string
	for _, f := range strings.Fields(line) {
		cur, inBreak := "", false
		for _, r := range f {
			isBreak := strings.ContainsRune(breaks, r)
			if cur != "" && isBreak != inBreak {
				words = append(words, cur)
				cur = ""
			}
			cur += string(r)
			inBreak = isBreak
		}
		words = append(words, cur)
	}
	if strings.HasSuffix(line, " ") {
		words = append(words, "")
	}
	return words
}

// bashComplete sources the committed bash script into a real bash with the
// bash-completion package, asks it to complete line in dir, and returns
// COMPREPLY.
func bashComplete(t *testing.T, ctx context.Context, dir, line string) []string {
	t.Helper()
	script, err := filepath.Abs("../../completions/galaxyctl.bash")
	if err != nil {
		t.Fatal(err)
	}
	words := bashWords(line)
	cword := len(words) - 1
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = "'" + w + "'"
	}
	// Outside a real completion compopt fails; this one records whether
	// the script left bash's fallback to file names (-o default) on, and
	// type says it is the builtin so the script calls it.
	prog := strings.Join([]string{
		"source " + bashCompletionLib,
		"source " + script,
		"fallback=1",
		`compopt() { while (($#)); do case $1 in -o) [[ $2 == default ]] && fallback=1; shift 2;; +o) [[ $2 == default ]] && fallback=0; shift 2;; *) shift;; esac; done; }`,
		`type() { if [[ $1 == -t && $2 == compopt ]]; then echo builtin; else builtin type "$@"; fi; }`,
		"COMP_WORDS=(" + strings.Join(quoted, " ") + ")",
		"COMP_CWORD=" + strconv.Itoa(cword),
		"COMP_LINE='" + line + "'",
		"COMP_POINT=${#COMP_LINE}",
		"COMP_TYPE=9",
		"__start_galaxyctl galaxyctl",
		// What bash's -o default then does: complete file names.
		`if ((${#COMPREPLY[@]} == 0 && fallback)); then COMPREPLY=($(compgen -f -- "${COMP_WORDS[COMP_CWORD]}")); fi`,
		`printf '%s\n' "${COMPREPLY[@]}"`,
	}, "\n")
	cmd := exec.CommandContext(ctx, "bash", "--norc", "--noprofile", "-c", prog)
	cmd.Env, cmd.Dir = shellEnv(), dir
	// compopt complains on stderr outside a real completion; only
	// COMPREPLY, on stdout, matters.
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash completion of %q: %v", line, err)
	}
	return nonEmptyLines(string(out))
}

// zshComplete sources the committed zsh script with zsh's completion
// builtins replaced by functions that print what the script asks for: the
// values it hands _describe, and "<files>" when it falls back to file
// completion (_arguments '*:filename:_files'), which a real zsh would fill
// with the directory's files.
func zshComplete(t *testing.T, ctx context.Context, dir, line string) []string {
	t.Helper()
	script, err := filepath.Abs("../../completions/_galaxyctl")
	if err != nil {
		t.Fatal(err)
	}
	prog := `compdef() { :; }
compadd() { :; }
_describe() { local c n=0; for c in "${completions[@]}"; do [[ ${c%%:*} == ${words[-1]}* ]] && print -r -- "${c%%:*}" && ((n++)); done; (( n )) }
_arguments() { [[ "$*" == *_files* ]] && print -r -- "<files>"; }
source "$SCRIPT"
words=("${(@Q)${(z)LINE}}")
[[ $LINE == *' ' ]] && words+=("")
CURRENT=${#words}
_galaxyctl`
	cmd := exec.CommandContext(ctx, "zsh", "-f", "-c", prog)
	cmd.Env, cmd.Dir = append(shellEnv(), "SCRIPT="+script, "LINE="+line), dir
	// The script returns 1 when it offers nothing, so zsh exits 1.
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		t.Fatalf("zsh completion of %q: %v", line, err)
	}
	return nonEmptyLines(string(out))
}

// fishComplete asks a real fish with the committed script to complete line.
func fishComplete(t *testing.T, ctx context.Context, dir, line string) []string {
	t.Helper()
	script, err := filepath.Abs("../../completions/galaxyctl.fish")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "fish", "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, script, line)
	cmd.Env, cmd.Dir = shellEnv(), dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fish completion of %q: %v", line, err)
	}
	var got []string
	for _, l := range nonEmptyLines(string(out)) {
		v, _, _ := strings.Cut(l, "\t") // fish prints value<TAB>description
		got = append(got, v)
	}
	return got
}

func nonEmptyLines(s string) []string {
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			got = append(got, l)
		}
	}
	return got
}

// completionCases are what each shell must offer. Where shells differ,
// bash and zsh override want: bash splits "@do" into "@" and "do" and
// completes the file name after the @; zsh's file fallback shows as
// "<files>".
var completionCases = []struct {
	line            string
	want            []string
	wantBash, wantZ []string
}{
	{line: "galaxyctl ta", want: []string{"tail"}},
	{line: "galaxyctl tail --target ", want: []string{"backend", "gateway"}},
	{line: "galaxyctl serve --role ", want: []string{"all", "backend", "gateway"}},
	{line: "galaxyctl tail -o j", want: []string{"json"}},
	{line: "galaxyctl tail --addr ", want: nil},
	{line: "galaxyctl publish --addr 127", want: nil},
	{line: "galaxyctl serve --listen ", want: nil},
	{line: "galaxyctl bench --clients ", want: nil},
	{line: "galaxyctl serve ", want: nil},
	{line: "galaxyctl publish --payload @do", want: []string{"@doc.json"}, wantBash: []string{"doc.json"}},
	{line: "galaxyctl publish --payload @", want: []string{"@doc.json", "@notes.txt"}},
	{line: "galaxyctl tail --verify-key no", want: []string{"notes.txt"}, wantZ: []string{"<files>"}},
}

func TestCompletionInRealShells(t *testing.T) {
	shells := []struct {
		name     string
		need     string // a file the shell needs
		complete func(*testing.T, context.Context, string, string) []string
		override func(i int) []string
	}{
		{"bash", bashCompletionLib, bashComplete, func(i int) []string { return completionCases[i].wantBash }},
		{"zsh", "", zshComplete, func(i int) []string { return completionCases[i].wantZ }},
		{"fish", "", fishComplete, func(int) []string { return nil }},
	}
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			t.Parallel()
			if _, err := exec.LookPath(sh.name); err != nil {
				t.Skipf("%s is not installed; .ci/run installs it", sh.name)
			}
			if sh.need != "" {
				if _, err := os.Stat(sh.need); err != nil {
					t.Skipf("%s is not installed (%v); .ci/run installs it", sh.need, err)
				}
			}
			ctx := testCtx(t)
			dir := completionDir(t)
			for i, tc := range completionCases {
				want := tc.want
				if o := sh.override(i); o != nil {
					want = o
				}
				got := sh.complete(t, ctx, dir, tc.line)
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("%s completion of %q = %q, want %q", sh.name, tc.line, got, want)
				}
			}
		})
	}
}
