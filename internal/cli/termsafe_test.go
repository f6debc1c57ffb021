package cli

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTermSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"order.created", "order.created"},
		{`{"id":"caf\u00e9 ✓"}`, `{"id":"caf\u00e9 ✓"}`},
		{"evil\x1b]0;pwned\a", `evil\x1b]0;pwned\x07`},
		{"\x1b[31mred", `\x1b[31mred`},
		{"a\nsignature=valid", `a\nsignature=valid`},
		{"tab\tcr\r", `tab\tcr\r`},
		{"del\x7f", `del\x7f`},
		{"c1\u009b31m", `c1\u009b31m`},
		{"user\u202e1", `user\u202e1`},
		{"\u2066iso\u2069", `\u2066iso\u2069`},
		{"bad\xffutf8", `bad\xffutf8`},
		{`back\slash`, `back\slash`},
	}
	for _, tt := range tests {
		if got := termSafe(tt.in); got != tt.want {
			t.Errorf("termSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzTermSafe: whatever comes in, nothing a terminal acts on goes out.
func FuzzTermSafe(f *testing.F) {
	for _, s := range []string{"plain", "\x1b]0;x\a", "\u202e", "\xc2\x9b", "\xff\xfe", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := termSafe(s)
		if !utf8.ValidString(out) {
			t.Fatalf("termSafe(%q) = %q, not UTF-8", s, out)
		}
		if needsEscape(out) {
			t.Fatalf("termSafe(%q) = %q, still holds a control character", s, out)
		}
		if !needsEscape(s) && out != s {
			t.Fatalf("termSafe(%q) = %q, changed text that was safe", s, out)
		}
		if strings.ContainsRune(out, 0x1b) {
			t.Fatalf("termSafe(%q) = %q, holds ESC", s, out)
		}
	})
}
