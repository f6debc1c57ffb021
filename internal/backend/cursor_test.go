package backend

import (
	"math"
	"strings"
	"testing"
)

func TestFormatCursor(t *testing.T) {
	tests := []struct {
		c    Cursor
		want string
	}{
		{Cursor{}, "0000000000000000-0000000000000000"},
		{Cursor{Incarnation: 0xab, Seq: 1}, "00000000000000ab-0000000000000001"},
		{Cursor{Incarnation: 0x0123456789abcdef, Seq: 0xfedcba9876543210}, "0123456789abcdef-fedcba9876543210"},
		{Cursor{Incarnation: math.MaxUint64, Seq: math.MaxUint64}, "ffffffffffffffff-ffffffffffffffff"},
	}
	for _, tt := range tests {
		if got := FormatCursor(tt.c); got != tt.want {
			t.Errorf("FormatCursor(%+v) = %q, want %q", tt.c, got, tt.want)
		}
		if got := tt.c.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.c, got, tt.want)
		}
		got, err := ParseCursor(tt.want)
		if err != nil || got != tt.c {
			t.Errorf("ParseCursor(%q) = %+v, %v, want %+v, nil", tt.want, got, err, tt.c)
		}
	}
}

func TestParseCursorErrors(t *testing.T) {
	long := strings.Repeat("0", 50)
	tests := []struct {
		in   string
		want string
	}{
		{"", `cursor "": want 33 characters like 00000000000000ab-0000000000000001, got 0`},
		{"x", `cursor "x": want 33 characters like 00000000000000ab-0000000000000001, got 1`},
		{"00000000000000ab-00000000000000012", `cursor "00000000000000ab-00000000000000012": want 33 characters like 00000000000000ab-0000000000000001, got 34`},
		{long, `cursor "` + long[:40] + `"…: want 33 characters like 00000000000000ab-0000000000000001, got 50`},
		{"00000000000000ab_0000000000000001", `cursor "00000000000000ab_0000000000000001": want '-' as character 17, between incarnation and sequence, got '_'`},
		{"00000000000000AB-0000000000000001", `cursor "00000000000000AB-0000000000000001": incarnation: character 15 is 'A', want a lowercase hex digit`},
		{"00000000000000ab-00000000000000g1", `cursor "00000000000000ab-00000000000000g1": sequence: character 32 is 'g', want a lowercase hex digit`},
		{"00000000000000ab--000000000000001", `cursor "00000000000000ab--000000000000001": sequence: character 18 is '-', want a lowercase hex digit`},
		{"\xff0000000000000ab-0000000000000001", `cursor "\xff0000000000000ab-0000000000000001": incarnation: character 1 is byte 0xff, want a lowercase hex digit`},
	}
	for _, tt := range tests {
		got, err := ParseCursor(tt.in)
		if err == nil {
			t.Errorf("ParseCursor(%q) = %+v, nil, want error %q", tt.in, got, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseCursor(%q) = %q, want %q", tt.in, err, tt.want)
		}
	}
}

// FuzzParseCursor checks that ParseCursor never panics, that its errors
// name the cursor, and that whatever it accepts round-trips exactly.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{
		"",
		"x",
		"00000000000000ab-0000000000000001",
		"ffffffffffffffff-ffffffffffffffff",
		"00000000000000AB-0000000000000001",
		"00000000000000ab_0000000000000001",
		"00000000000000ab-00000000000000é",
		strings.Repeat("-", 33),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCursor(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "cursor ") {
				t.Errorf("ParseCursor(%q) = %q, want an error starting with \"cursor \"", s, err)
			}
			return
		}
		if got := FormatCursor(c); got != s {
			t.Errorf("FormatCursor(ParseCursor(%q)) = %q, want %q", s, got, s)
		}
		if again, err := ParseCursor(FormatCursor(c)); err != nil || again != c {
			t.Errorf("ParseCursor(FormatCursor(%+v)) = %+v, %v, want %+v, nil", c, again, err, c)
		}
	})
}

// FuzzFormatCursor checks that every cursor FormatCursor makes parses back.
func FuzzFormatCursor(f *testing.F) {
	f.Add(uint64(0), uint64(0))
	f.Add(uint64(0xab), uint64(1))
	f.Add(uint64(math.MaxUint64), uint64(math.MaxUint64))
	f.Fuzz(func(t *testing.T, inc, seq uint64) {
		c := Cursor{Incarnation: inc, Seq: seq}
		s := FormatCursor(c)
		if got, err := ParseCursor(s); err != nil || got != c {
			t.Errorf("ParseCursor(FormatCursor(%+v)) = %+v, %v, want %+v, nil", c, got, err, c)
		}
	})
}
