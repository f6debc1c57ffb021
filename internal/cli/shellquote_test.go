package cli

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// shellWords splits a command line as a POSIX shell would, for the subset of
// syntax shellJoin may produce: blanks between words, single-quoted text, and
// bare words. A bare character outside shellJoin's safe set, or a bare word
// that zsh would expand (a leading '='), is an error: the shell would act
// on it rather than pass it through.
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted:
			if c == '\'' {
				quoted = false
			} else {
				cur.WriteByte(c)
			}
		case c == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			quoted, inWord = true, true
		case c == '\\' && i+1 < len(line) && line[i+1] != '\n':
			// A backslash quotes the next character.
			i++
			cur.WriteByte(line[i])
			inWord = true
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_./:=@,+", c) >= 0:
			if !inWord && c == '=' {
				return nil, fmt.Errorf("bare word at byte %d starts with '=': zsh expands it to a command path", i)
			}
			cur.WriteByte(c)
			inWord = true
		default:
			return nil, fmt.Errorf("bare %q at byte %d: the shell would interpret it", c, i)
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated single quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

var shellSeeds = [][]string{
	{"galaxyctl", "tail", "--addr", "127.0.0.1:7070", "--cursor", "00000000000000ab-0000000000000003"},
	{"galaxyctl", "tail", "--user", "a b", "it's", "''", ""},
	{"galaxyctl", "--user", "=ls", "x=y", "~root", "$HOME", "`id`", "a\nb", "*", "!x", "#c", "caf\u00e9", "\\", "-"},
}

func TestShellJoinRoundTrip(t *testing.T) {
	for _, args := range shellSeeds {
		line := shellJoin(args)
		got, err := shellWords(line)
		if err != nil || !slices.Equal(got, args) {
			t.Errorf("shellWords(shellJoin(%q)) = %q, %v; want %q", args, got, err, args)
		}
	}
}

// TestShellJoinBash feeds shellJoin's output to a real bash, which must
// hand back exactly the words given.
func TestShellJoinBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	for _, args := range shellSeeds {
		line := shellJoin(args[1:])
		out, err := exec.CommandContext(t.Context(), bash, "--norc", "--noprofile", "-c", `printf '%s\0' `+line).Output()
		if err != nil {
			t.Fatalf("bash -c %q: %v", line, err)
		}
		got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		if !bytes.Equal(out, []byte(strings.Join(args[1:], "\x00")+"\x00")) {
			t.Errorf("bash word-split shellJoin(%q) = %q, want the same words", args[1:], got)
		}
	}
}

// FuzzShellJoin checks that the resume command tail prints comes back, word
// for word, from a shell: args are NUL-separated in the input (argv cannot
// hold NUL).
func FuzzShellJoin(f *testing.F) {
	for _, args := range shellSeeds {
		f.Add(strings.Join(args, "\x00"))
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		line := shellJoin(args)
		got, err := shellWords(line)
		if err != nil || !slices.Equal(got, args) {
			t.Fatalf("shellWords(shellJoin(%q)) = %q, %v; want the args back", args, got, err)
		}
	})
}
