package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// completionFiles maps each shell to the file its script is kept in under
// completions/; a test checks they match what the binary prints.
var completionFiles = []struct{ shell, file string }{
	{"bash", "galaxyctl.bash"},
	{"zsh", "_galaxyctl"},
	{"fish", "galaxyctl.fish"},
	{"powershell", "galaxyctl.ps1"},
}

func newDocsCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "docs",
		Short: "Generate man pages, markdown reference and completion scripts",
		Long: `Docs writes galaxyctl's reference from its own command tree, so the pages never
drift from the flags: one man page or markdown page per command, or the four
shell completion scripts that live in completions/.`,
		Example: `  galaxyctl docs man ./man
  galaxyctl docs markdown ./docs
  galaxyctl docs completions ./completions`,
		Args: func(cmd *cobra.Command, args []string) error {
			return usagef("%s needs one of: man, markdown, completions (got %q)", cmd.CommandPath(), args)
		},
		// Runnable only so that Args rejects a missing or unknown
		// subcommand instead of cobra printing help and exiting 0.
		RunE: func(*cobra.Command, []string) error { return nil },
	}
	mk := func(use, short string, gen func(root *cobra.Command, dir string) error) *cobra.Command {
		return &cobra.Command{
			Use:               use + " DIR",
			Short:             short,
			Example:           "  galaxyctl docs " + use + " ./out",
			Args:              docsArgs,
			ValidArgsFunction: cobra.FixedCompletions(nil, cobra.ShellCompDirectiveFilterDirs),
			RunE: func(cmd *cobra.Command, args []string) error {
				o := &docsOptions{g: g, kind: use, dir: args[0], root: cmd.Root(), gen: gen}
				return o.run()
			},
		}
	}
	cmd.AddCommand(
		mk("man", "Write one man page per command", genManTree),
		mk("markdown", "Write one markdown reference page per command", doc.GenMarkdownTree),
		mk("completions", "Write the bash, zsh, fish and powershell completion scripts", writeCompletions),
	)
	return cmd
}

// docsArgs takes exactly the output directory.
func docsArgs(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("%s takes one argument, the output directory", cmd.CommandPath())
	}
	return nil
}

// docsOptions is one `docs KIND DIR`; cobra's Args has validated DIR.
type docsOptions struct {
	g    *globalOptions
	kind string
	dir  string
	root *cobra.Command
	gen  func(root *cobra.Command, dir string) error
}

// run writes the pages of o.kind into o.dir, creating it.
func (o *docsOptions) run() error {
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return fmt.Errorf("docs: %w", err)
	}
	o.root.DisableAutoGenTag = true
	if err := o.gen(o.root, o.dir); err != nil {
		return fmt.Errorf("docs %s %s: %w", o.kind, o.dir, err)
	}
	_, _ = fmt.Fprintf(o.g.streams.ErrOut, "wrote %s pages to %s\n", o.kind, o.dir) // a note; the pages are written
	return nil
}

// writeCompletions writes each shell's script exactly as `galaxyctl
// completion SHELL` prints it.
func writeCompletions(root *cobra.Command, dir string) error {
	for _, c := range completionFiles {
		b, err := completionScript(root, c.shell)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, c.file), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func completionScript(root *cobra.Command, shell string) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	switch shell {
	case "bash":
		err = root.GenBashCompletionV2(&buf, true)
	case "zsh":
		err = root.GenZshCompletion(&buf)
	case "fish":
		err = root.GenFishCompletion(&buf, true)
	case "powershell":
		err = root.GenPowerShellCompletionWithDesc(&buf)
	default:
		return nil, fmt.Errorf("no completion for shell %q", shell)
	}
	return buf.Bytes(), err
}
