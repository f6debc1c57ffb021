package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit can be stamped at link time
// (-ldflags "-X galaxy/galaxyctl/internal/cli.version=v1.2.3"); otherwise
// they come from the module's build info.
var (
	version = ""
	commit  = ""
)

func versionInfo() (ver, rev, goVer string) {
	ver, rev, goVer = version, commit, runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		if ver == "" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && rev == "" {
				rev = s.Value
			}
		}
	}
	if ver == "" {
		ver = "(devel)"
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev, goVer
}

func versionString() string {
	v, c, g := versionInfo()
	return fmt.Sprintf("galaxyctl %s (commit %s, %s)", v, c, g)
}

func newVersionCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version, commit and Go version",
		Long:    "Print galaxyctl's version, the commit it was built from and the Go version, from the binary's build info.",
		Example: "  galaxyctl version\n  galaxyctl --version",
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			return (&versionOptions{g: g}).run()
		},
	}
}

// versionOptions is `version`: no flags, so nothing to complete or
// validate.
type versionOptions struct{ g *globalOptions }

// run prints the version line on stdout.
func (o *versionOptions) run() error {
	_, err := fmt.Fprintln(o.g.streams.Out, versionString())
	return err
}
