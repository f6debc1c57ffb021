package cli

import (
	"errors"
	"strings"
	"testing"
)

func TestTypeFilter(t *testing.T) {
	tests := []struct {
		patterns []string
		typ      string
		want     bool
	}{
		{nil, "anything", true},
		{[]string{"order.created"}, "order.created", true},
		{[]string{"order.created"}, "order.created.v2", false},
		{[]string{"order.*"}, "order.created", true},
		{[]string{"order.*"}, "order", false},
		{[]string{"order.*"}, "order.created.v2", false},
		{[]string{"order.>"}, "order.created.v2", true},
		{[]string{"order.>"}, "order.created", true},
		{[]string{"order.>"}, "order", false},
		{[]string{"*.created"}, "doc.created", true},
		{[]string{"*"}, "synthetic.tick", false},
		{[]string{">"}, "synthetic.tick", true},
		{[]string{"doc.*", "order.>"}, "order.a.b", true},
		{[]string{"doc.*", "order.>"}, "synthetic.tick", false},
		{[]string{"order.*"}, "order.", true}, // an empty last token is a token
	}
	for _, tt := range tests {
		f, err := parseTypeFilter(tt.patterns)
		if err != nil {
			t.Fatalf("parseTypeFilter(%q) = %v", tt.patterns, err)
		}
		if got := f.match(tt.typ); got != tt.want {
			t.Errorf("typeFilter(%q).match(%q) = %v, want %v", tt.patterns, tt.typ, got, tt.want)
		}
	}
}

func TestTypeFilterRejects(t *testing.T) {
	for _, tt := range []struct{ pattern, want string }{
		{"", `--type "": empty token`},
		{"order..created", `--type "order..created": empty token`},
		{"order.>.x", `--type "order.>.x": '>' matches the rest, so it can only be the last token`},
		{"order*", `--type "order*": a wildcard must be a whole token`},
		{"or>der.x", `--type "or>der.x": a wildcard must be a whole token`},
	} {
		_, err := parseTypeFilter([]string{tt.pattern})
		var ue *usageError
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, &ue) {
			t.Errorf("parseTypeFilter(%q) = %v, want a usage error containing %q", tt.pattern, err, tt.want)
		}
	}
}
