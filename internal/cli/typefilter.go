package cli

import (
	"strings"
)

// typeFilter matches event types against --type patterns with NATS
// subject semantics: tokens split on '.', '*' matches any one token, '>'
// as the last token matches one or more. A type matches when any pattern
// does; no pattern matches everything.
type typeFilter [][]string

// parseTypeFilter checks and splits the --type patterns.
func parseTypeFilter(patterns []string) (typeFilter, error) {
	var f typeFilter
	for _, p := range patterns {
		toks := strings.Split(p, ".")
		for i, tok := range toks {
			switch {
			case tok == "":
				return nil, usagef("--type %q: empty token; a pattern is tokens separated by single dots, like order.* or order.>", p)
			case tok == ">" && i != len(toks)-1:
				return nil, usagef("--type %q: '>' matches the rest, so it can only be the last token", p)
			case tok != "*" && tok != ">" && strings.ContainsAny(tok, "*>"):
				return nil, usagef("--type %q: a wildcard must be a whole token: '*' for one token, '>' for the rest (order.* or order.>)", p)
			}
		}
		f = append(f, toks)
	}
	return f, nil
}

// match reports whether eventType matches any pattern.
func (f typeFilter) match(eventType string) bool {
	if len(f) == 0 {
		return true
	}
	toks := strings.Split(eventType, ".")
	for _, p := range f {
		if matchTokens(p, toks) {
			return true
		}
	}
	return false
}

func matchTokens(pattern, toks []string) bool {
	for i, p := range pattern {
		if p == ">" {
			return len(toks) > i
		}
		if i >= len(toks) || p != "*" && p != toks[i] {
			return false
		}
	}
	return len(toks) == len(pattern)
}
