package cli

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseScales(t *testing.T) {
	tests := []struct {
		in   string
		want []int
	}{
		{"10000,100000,1000000", []int{10000, 100000, 1000000}},
		{" 5 , 7", []int{5, 7}},
		{"1", []int{1}},
		{"", nil},
		{"1,,2", nil},
		{"0", nil},
		{"-5", nil},
		{"1e6", nil},
		{"99999999999999999999", nil},
		{"10k,1M", []int{10_000, 1_000_000}},
		{"10K, 100k ,2M", []int{10_000, 100_000, 2_000_000}},
		{"k", nil},
		{"1m", nil},
		{"1.5k", nil},
		{"-1k", nil},
		{"+3", nil},
		{"1 k", nil},
		{"9223372036854775807k", nil},
		{"9223372036854775807", []int{9223372036854775807}},
	}
	for _, tt := range tests {
		got, err := parseScales(tt.in)
		if (err != nil) != (tt.want == nil) || !slices.Equal(got, tt.want) {
			t.Errorf("parseScales(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseScales checks that --scales either is a usage error naming the
// flag, or yields one positive count per comma-separated field, which
// format back to a value that parses the same.
func FuzzParseScales(f *testing.F) {
	for _, s := range []string{"10000,100000,1000000", " 5 , 7", "", "0", "+3", "1,,2", "9223372036854775807", "10k,1M", "9223372036854775807k", "3K,m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseScales(s)
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "--scales ") {
				t.Fatalf("parseScales(%q) error = %v, want a usage error naming --scales", s, err)
			}
			return
		}
		if want := strings.Count(s, ",") + 1; len(got) != want {
			t.Fatalf("parseScales(%q) = %v, want %d counts", s, got, want)
		}
		parts := make([]string, len(got))
		for i, n := range got {
			if n < 1 {
				t.Fatalf("parseScales(%q) = %v, want only positive counts", s, got)
			}
			field := strings.TrimSpace(strings.Split(s, ",")[i])
			if strings.HasSuffix(field, "k") && n%1000 != 0 || strings.HasSuffix(field, "M") && n%1_000_000 != 0 {
				t.Fatalf("parseScales(%q)[%d] = %d, want a multiple of its suffix", s, i, n)
			}
			parts[i] = strconv.Itoa(n)
		}
		again, err := parseScales(strings.Join(parts, ","))
		if err != nil || !slices.Equal(again, got) {
			t.Fatalf("parseScales(%q) = %v, but its formatting parses to %v, %v", s, got, again, err)
		}
	})
}
