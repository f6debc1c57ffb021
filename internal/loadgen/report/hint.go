package report

import (
	"fmt"
	"strings"
)

// Hint is a setting a note or an error suggests, named by its field of
// loadgen.Config ("ClientWindow") and, where it suggests one, a value
// ("static"). The engine speaks of fields; a command names its flags.
type Hint struct {
	Field string
	Value string
}

// Namer names a hint in its reader's words: the CLI's says
// "--client-window static".
type Namer func(Hint) string

// FieldNames is the engine's own Namer: "ClientWindow static".
func FieldNames(h Hint) string {
	if h.Value == "" {
		return h.Field
	}
	return h.Field + " " + h.Value
}

// Note is one finding in plain words, with the settings it suggests kept
// as hints: its text is Parts[0], Hints[0], Parts[1], ... so that each
// reader sees them in its own words.
type Note struct {
	Parts []string
	Hints []Hint
}

// hintMark stands for a hint while a note's text is formatted.
const hintMark = "\x00"

// NewNote formats a note as fmt.Sprintf does; every Hint among args
// stays a hint.
func NewNote(format string, args ...any) Note {
	var hints []Hint
	args = append([]any(nil), args...)
	for i, a := range args {
		switch v := a.(type) {
		case Hint:
			hints = append(hints, v)
			args[i] = hintMark
		case string:
			args[i] = strings.ReplaceAll(v, hintMark, `\x00`)
		}
	}
	return Note{Parts: strings.Split(fmt.Sprintf(format, args...), hintMark), Hints: hints}
}

// Text is the note with its hints named by name (FieldNames when nil).
func (n Note) Text(name Namer) string {
	if name == nil {
		name = FieldNames
	}
	var sb strings.Builder
	for i, p := range n.Parts {
		sb.WriteString(p)
		if i < len(n.Hints) {
			sb.WriteString(name(n.Hints[i]))
		}
	}
	return sb.String()
}

// String is the note in the engine's words.
func (n Note) String() string { return n.Text(FieldNames) }

// MarshalText makes a note a JSON string, in the engine's words; a
// printer that knows the reader's words renders the notes itself.
func (n Note) MarshalText() ([]byte, error) { return []byte(n.String()), nil }

// Texts names the hints of every note with name.
func Texts(notes []Note, name Namer) []string {
	out := make([]string, len(notes))
	for i, n := range notes {
		out[i] = n.Text(name)
	}
	return out
}

// UnmarshalText reads a note back as plain text, its hints already named.
func (n *Note) UnmarshalText(b []byte) error {
	*n = Note{Parts: []string{string(b)}}
	return nil
}
