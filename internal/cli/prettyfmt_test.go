package cli

import "testing"

func TestColumn(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"order.created", 16, "order.created   "},
		{"a.very.long.event.type.name", 12, "a.very.long…"},
		{"exactly12345", 12, "exactly12345"},
		{"\x1b[31m", 8, `\x1b[31m`},
		{"\x1b[31mred", 8, `\x1b[31…`},
		{"日本語の利用者", 8, "日本語… "},
	}
	for _, tt := range tests {
		if got := column(tt.in, tt.width); got != tt.want {
			t.Errorf("column(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

func TestFitWidth(t *testing.T) {
	for _, tt := range []struct {
		in    string
		width int
		want  string
	}{
		{`{"id":42}`, 0, `{"id":42}`},
		{`{"id":42}`, 9, `{"id":42}`},
		{`{"id":42}`, 6, `{"id"…`},
	} {
		if got := fitWidth(tt.in, tt.width); got != tt.want {
			t.Errorf("fitWidth(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

func TestHumanLatency(t *testing.T) {
	for _, tt := range []struct {
		ms   float64
		want string
	}{
		{0.3, "0.3ms"},
		{12.54, "12.5ms"},
		{999.9, "999.9ms"},
		{1234, "1.2s"},
		{30000, "30.0s"},
		{125000, "2m05s"},
		{3.9e6, "1h05m"},
		{-2, "-2.0ms"},
	} {
		if got := humanLatency(tt.ms); got != tt.want {
			t.Errorf("humanLatency(%v) = %q, want %q", tt.ms, got, tt.want)
		}
	}
}
