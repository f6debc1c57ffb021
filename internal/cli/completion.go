package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

var completionShells = []string{"bash", "zsh", "fish", "powershell"}

// newCompletionCmd replaces cobra's default so each shell's help says how to
// install the script for the session and for good, with pasteable examples.
func newCompletionCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Completion prints a completion script for your shell. Commands, flags and flag
values complete (--target, --role, -o, --log-level, ...), file flags and
--payload @ complete file names, and flags that take an address, a number
or a name offer none. Pre-generated scripts are also in completions/.

See 'galaxyctl completion SHELL --help' for how to install each.`,
		Example: `  source <(galaxyctl completion bash)
  galaxyctl completion zsh > ~/.zfunc/_galaxyctl
  galaxyctl completion fish > ~/.config/fish/completions/galaxyctl.fish`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 || !contains(completionShells, args[0]) {
				return usagef("completion needs one shell, %s; got %q", joinOr(completionShells), args)
			}
			return nil
		},
		ValidArgs: completionShells,
		// Runnable only to reject what no subcommand matched: without it
		// cobra prints help to stdout and exits 0, so
		// `completion zhs > _galaxyctl` would write help into the file.
		RunE: func(*cobra.Command, []string) error { return nil },
	}
	help := map[string][2]string{
		"bash": {`Print the bash completion script (needs the bash-completion package).

For this session:
  source <(galaxyctl completion bash)

For every new session, just you:
  mkdir -p ~/.local/share/bash-completion/completions
  galaxyctl completion bash > ~/.local/share/bash-completion/completions/galaxyctl

Or for everyone (as root):
  galaxyctl completion bash > /etc/bash_completion.d/galaxyctl                 # Linux
  galaxyctl completion bash > $(brew --prefix)/etc/bash_completion.d/galaxyctl # macOS`,
			"  source <(galaxyctl completion bash)"},
		"zsh": {`Print the zsh completion script.

For this session (completion enabled: autoload -U compinit; compinit):
  source <(galaxyctl completion zsh)

For every new session, a directory of your own on fpath, added before
compinit runs (if ~/.zshrc already runs compinit, put the fpath line
before it instead of the echo):
  mkdir -p ~/.zfunc
  galaxyctl completion zsh > ~/.zfunc/_galaxyctl
  echo 'fpath=(~/.zfunc $fpath); autoload -U compinit; compinit' >> ~/.zshrc`,
			`  galaxyctl completion zsh > ~/.zfunc/_galaxyctl`},
		"fish": {`Print the fish completion script.

For this session:
  galaxyctl completion fish | source

For every new session:
  mkdir -p ~/.config/fish/completions
  galaxyctl completion fish > ~/.config/fish/completions/galaxyctl.fish`,
			"  galaxyctl completion fish | source"},
		"powershell": {`Print the PowerShell completion script.

For this session:
  galaxyctl completion powershell | Out-String | Invoke-Expression

For every new session, add that line to your PowerShell profile.`,
			"  galaxyctl completion powershell | Out-String | Invoke-Expression"},
	}
	for _, sh := range completionShells {
		cmd.AddCommand(&cobra.Command{
			Use:     sh,
			Short:   fmt.Sprintf("Print the %s completion script", sh),
			Long:    help[sh][0],
			Example: help[sh][1],
			Args:    noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				o := &completionOptions{g: g, shell: sh, root: cmd.Root()}
				return o.run()
			},
		})
	}
	return cmd
}

// completionOptions is one `completion SHELL`: the shell comes from the
// subcommand, so there is nothing to complete or validate.
type completionOptions struct {
	g     *globalOptions
	shell string
	root  *cobra.Command
}

// run prints the shell's script on stdout.
func (o *completionOptions) run() error {
	b, err := completionScript(o.root, o.shell)
	if err != nil {
		return err
	}
	_, err = o.g.streams.Out.Write(b)
	return err
}
