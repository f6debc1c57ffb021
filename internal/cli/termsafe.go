package cli

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"galaxy/galaxyctl/internal/backend"
)

// termSafe makes text from the wire safe to print on a terminal: control
// characters (C0, DEL, C1, and so ESC) and the bidirectional controls are
// shown as escapes (\n, \x1b, \u202e) instead of acting, so a published
// event cannot retitle the terminal, colour or hide what follows, forge a
// second line, or reorder the line it is on. Bytes that are not UTF-8 show
// as \xHH. Only pretty output needs this: JSON escapes on its own.
func termSafe(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r) || backend.IsBidiControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 || unicode.IsControl(r) || backend.IsBidiControl(r) {
			return true
		}
		i += n
	}
	return false
}
