package cli

import (
	"slices"
	"strings"
)

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// joinOr renders allowed values for an error message: "a, b or c".
func joinOr(list []string) string {
	switch len(list) {
	case 0:
		return ""
	case 1:
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}
