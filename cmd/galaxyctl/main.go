// Command galaxyctl is the diagnostic and load tool for the galaxy push
// pipeline. All of its behaviour lives in internal/cli; main only wires the
// process to it: signals, standard streams and the exit code.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"galaxy/galaxyctl/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.SystemStreams())
	stop()
	os.Exit(code)
}

// The completion scripts and the markdown reference are generated from the
// command tree; tests fail when they are stale.
//go:generate go run . docs completions ../../completions
//go:generate go run . docs markdown ../../docs
