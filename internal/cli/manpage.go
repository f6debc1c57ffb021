package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// environment is the README's table of the environment variables
// galaxyctl reads, with the commands that read each (markdown); the man
// pages print each command's rows.
var environment = []struct {
	name     string
	commands []string
	meaning  string
}{
	{addrEnv, []string{"publish", "tail"}, "the default of `--addr` (`HOST:PORT`); `--addr` wins over it"},
	{"NO_COLOR", []string{"bench"}, "when set (to anything), the live view draws without colour"},
	{"TMPDIR", []string{"serve", "bench"}, "where `serve --tls-self-signed` writes its CA file and `bench` its embedded server's files"},
}

// genManTree writes one man page per command, as cobra's GenManTree does,
// with EXIT STATUS and ENVIRONMENT sections before SEE ALSO.
func genManTree(cmd *cobra.Command, dir string) error {
	for _, c := range cmd.Commands() {
		if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := genManTree(c, dir); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	header := &doc.GenManHeader{Title: "GALAXYCTL", Section: "1", Source: "galaxyctl"}
	if err := doc.GenMan(cmd, header, &buf); err != nil {
		return err
	}
	page := buf.String()
	extra := manExitStatus() + manEnvironment(cmd)
	if i := strings.Index(page, ".SH SEE ALSO"); i >= 0 {
		page = page[:i] + extra + page[i:]
	} else {
		page += extra
	}
	name := strings.ReplaceAll(cmd.CommandPath(), " ", "-") + ".1"
	return os.WriteFile(filepath.Join(dir, name), []byte(page), 0o644)
}

func manExitStatus() string {
	var b strings.Builder
	b.WriteString(".SH EXIT STATUS\n")
	for _, e := range exitCodes {
		fmt.Fprintf(&b, ".TP\n\\fB%d\\fP\n%s\n", e.code, roff(e.meaning))
	}
	return b.String()
}

// manEnvironment lists the variables cmd reads; the root's page lists all.
func manEnvironment(cmd *cobra.Command) string {
	var b strings.Builder
	b.WriteString(".SH ENVIRONMENT\n")
	n := 0
	for _, e := range environment {
		if cmd.HasParent() && !slices.Contains(e.commands, cmd.Name()) {
			continue
		}
		n++
		fmt.Fprintf(&b, ".TP\n\\fB%s\\fP\n%s\n", e.name, roff(e.meaning))
	}
	if n == 0 {
		fmt.Fprintf(&b, "%s reads no environment variables of its own.\n", roff(cmd.CommandPath()))
	}
	return b.String()
}

var codeSpan = regexp.MustCompile("`([^`]*)`")

// roff escapes markdown text for a man page: backslashes and hyphens
// escaped, code spans in bold.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	s = codeSpan.ReplaceAllString(s, `\fB$1\fP`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
