package backend

import (
	"fmt"
	"strconv"
)

// Cursor identifies one event of one backend incarnation. Clients see it
// only as the string FormatCursor makes.
type Cursor struct {
	// Incarnation is the backend lifetime that assigned Seq.
	Incarnation uint64
	// Seq is the event's sequence number; the first event is 1. Seq 0
	// names the position before the first event.
	Seq uint64
}

// cursorLen is 16 hex digits, '-', 16 hex digits.
const cursorLen = 33

// cursorExample shows the shape in error messages.
const cursorExample = "00000000000000ab-0000000000000001"

// String returns FormatCursor(c).
func (c Cursor) String() string { return FormatCursor(c) }

// FormatCursor encodes c as 16 lowercase hex digits of the incarnation, '-',
// and 16 of the sequence number: fixed width, so cursors of one incarnation
// sort as their events do, and ParseCursor can say exactly what is wrong.
func FormatCursor(c Cursor) string {
	var b [cursorLen]byte
	putHex(b[:16], c.Incarnation)
	b[16] = '-'
	putHex(b[17:], c.Seq)
	return string(b[:])
}

// ParseCursor decodes a cursor made by FormatCursor. It accepts exactly
// that form (lowercase hex only), so every accepted string round-trips.
func ParseCursor(s string) (Cursor, error) {
	if len(s) != cursorLen {
		return Cursor{}, fmt.Errorf("cursor %s: want %d characters like %s, got %d", quoteCursor(s), cursorLen, cursorExample, len(s))
	}
	if s[16] != '-' {
		return Cursor{}, fmt.Errorf("cursor %s: want '-' as character 17, between incarnation and sequence, got %s", quoteCursor(s), strconv.QuoteRune(rune(s[16])))
	}
	inc, err := parseHex(s, 0, "incarnation")
	if err != nil {
		return Cursor{}, err
	}
	seq, err := parseHex(s, 17, "sequence")
	if err != nil {
		return Cursor{}, err
	}
	return Cursor{Incarnation: inc, Seq: seq}, nil
}

// parseHex decodes the 16 hex digits of s at off; part names them in errors.
func parseHex(s string, off int, part string) (uint64, error) {
	var v uint64
	for i := off; i < off+16; i++ {
		c := s[i]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		default:
			return 0, fmt.Errorf("cursor %s: %s: character %d is %s, want a lowercase hex digit", quoteCursor(s), part, i+1, quoteByte(c))
		}
		v = v<<4 | uint64(d)
	}
	return v, nil
}

func putHex(dst []byte, v uint64) {
	const digits = "0123456789abcdef"
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = digits[v&0xf]
		v >>= 4
	}
}

// quoteCursor quotes s for an error message, shortened so that a client
// sending megabytes of garbage does not get them echoed back.
func quoteCursor(s string) string {
	const maxShown = 40
	if len(s) > maxShown {
		return strconv.Quote(s[:maxShown]) + "…"
	}
	return strconv.Quote(s)
}

// quoteByte quotes one byte of a cursor, which need not be valid UTF-8.
func quoteByte(c byte) string {
	if c < 0x80 {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}
