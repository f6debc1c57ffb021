package cli

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// publishOptions holds publish's flags and dependencies.
type publishOptions struct {
	g      *globalOptions
	client clientOptions

	eventType string
	user      string
	payload   string
	count     int
	lines     bool

	// payloadBytes is resolved by complete from --payload; with --lines,
	// linesFrom is the source run splits into events instead.
	payloadBytes []byte
	linesFrom    io.Reader
	closeLines   func() error
}

// maxPayloadRead bounds what --payload @- or @FILE reads, so a stray
// `< /dev/zero` cannot fill memory. It is well above serve's own limit (a
// 1 MiB request), which the server reports itself: another server may
// accept more.
const maxPayloadRead = 16 << 20

func newPublishCmd(g *globalOptions, runF func(context.Context, *publishOptions) error) *cobra.Command {
	o := &publishOptions{g: g}
	cmd := &cobra.Command{
		Use:   "publish",
		Short: "Publish events to a backend and print their cursors",
		Long: `Publish appends events to a galaxy backend's ring through Push.Publish and
prints each event's cursor on its own line, so a script can resume a tail
from exactly that point.

Publish reads stdin only when --payload says so (@-): a payload piped in
without it is refused rather than silently left out of the event. With
--lines, each line of the payload source is one event (empty lines are
skipped, a trailing CR is dropped), published and printed in order.`,
		Example: `  # one event for user-1
  galaxyctl publish --type order.created --user user-1 --payload '{"id":42}'

  # ten events with the payload read from a file
  galaxyctl publish --type doc.updated --payload @doc.json --count 10

  # the payload from stdin
  curl -s https://example.com/doc.json | galaxyctl publish --type doc.updated --payload @-

  # one event per line of stdin, cursors printed in the same order
  galaxyctl publish --type order.created --payload @- --lines < orders.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.complete(cmd); err != nil {
				return err
			}
			if err := o.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return o.run(cmd.Context())
		},
	}
	fs := cmd.Flags()
	o.client.addFlags(fs)
	fs.StringVar(&o.eventType, "type", "galaxyctl.test", "event type")
	fs.StringVar(&o.user, "user", "", "user id the event is for (empty: every user)")
	fs.StringVar(&o.payload, "payload", "", "payload text, @FILE to read it from a file, or @- from stdin")
	fs.IntVarP(&o.count, "count", "n", 1, "number of events to publish")
	fs.BoolVar(&o.lines, "lines", false, "publish one event per line of the --payload @FILE or @- source")
	_ = cmd.MarkFlagFilename("cacert")
	_ = cmd.RegisterFlagCompletionFunc("payload", completePayload)
	cmd.ValidArgsFunction = completePayloadAfterAt
	return cmd
}

// completePayloadAfterAt completes what bash hands over as an argument:
// '@' is one of its COMP_WORDBREAKS, so `--payload @do<Tab>` reaches cobra
// as --payload "@" and the word "do", which must complete as a file name
// (bash replaces only "do"). publish takes no other arguments.
func completePayloadAfterAt(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if f := cmd.Flags().Lookup("payload"); len(args) > 0 || f == nil || f.Value.String() != "@" {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names, directive := completePayload(cmd, nil, "@"+toComplete)
	for i, n := range names {
		names[i] = strings.TrimPrefix(n, "@")
	}
	return names, directive
}

// completePayload completes the file names behind --payload @; a literal
// payload has nothing to complete. The shell cannot do it itself, since
// the word starts with the @.
func completePayload(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	prefix, ok := strings.CutPrefix(toComplete, "@")
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	dir, base := filepath.Split(prefix)
	entries, err := os.ReadDir(cmp.Or(dir, "."))
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	directive := cobra.ShellCompDirectiveNoFileComp
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, base) || strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		if e.IsDir() || e.Type()&os.ModeSymlink != 0 && isDir(filepath.Join(dir, name)) {
			// No space after a directory: its files come next.
			name += "/"
			directive |= cobra.ShellCompDirectiveNoSpace
		}
		out = append(out, "@"+dir+name)
	}
	return out, directive
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// complete resolves the address and TLS files, and reads the payload: from
// a file, from stdin, or, with --lines, opens the source run reads.
func (o *publishOptions) complete(cmd *cobra.Command) error {
	if err := o.client.complete(cmd.Flags(), o.g.env); err != nil {
		return err
	}
	path, fromSource := strings.CutPrefix(o.payload, "@")
	switch {
	case !fromSource:
		if !cmd.Flags().Changed("payload") && o.g.streams.InData {
			return usagef("stdin is a pipe or a file, but publish reads it only with --payload @- (or --payload @- --lines for one event per line)")
		}
		o.payloadBytes = []byte(o.payload)
		return nil
	case o.lines && path == "-":
		o.linesFrom = o.g.streams.In
		return nil
	case o.lines:
		f, err := os.Open(path)
		if err != nil {
			return usagef("--payload @%s: %v", path, err)
		}
		o.linesFrom, o.closeLines = f, f.Close
		return nil
	}
	src := o.g.streams.In
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return usagef("--payload @%s: %v", path, err)
		}
		defer func() { _ = f.Close() }() // read only: a close error loses nothing
		src = f
	}
	b, err := io.ReadAll(io.LimitReader(src, maxPayloadRead+1))
	if err != nil {
		return fmt.Errorf("--payload @%s: %w", path, err)
	}
	if len(b) > maxPayloadRead {
		return usagef("--payload @%s: over %d MiB, more than galaxyctl sends in one event", path, maxPayloadRead>>20)
	}
	o.payloadBytes = b
	return nil
}

// validate checks the flags, without I/O.
func (o *publishOptions) validate() error {
	if err := o.client.validate(); err != nil {
		return err
	}
	if strings.TrimSpace(o.eventType) == "" {
		return usagef("--type must not be empty")
	}
	if o.count < 1 {
		return usagef("--count must be at least 1, got %d", o.count)
	}
	if o.lines && !strings.HasPrefix(o.payload, "@") {
		return usagef("--lines splits the payload source into events: give --payload @- (stdin) or --payload @FILE")
	}
	if o.lines && o.count != 1 {
		return usagef("--lines and --count are alternatives: with --lines each line is one event")
	}
	return nil
}

// run publishes --count events, or one per line with --lines, and prints
// each cursor as it comes back.
func (o *publishOptions) run(ctx context.Context) error {
	if o.closeLines != nil {
		defer func() { _ = o.closeLines() }() // read only: a close error loses nothing
	}
	conn, err := o.client.dial(o.g)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }() // fails only if already closed
	client := pushv1.NewPushClient(conn)
	ctx = o.client.withHeaders(ctx)
	if o.linesFrom != nil {
		return o.publishLines(ctx, client)
	}
	for i := 0; i < o.count; i++ {
		if err := o.publishOne(ctx, client, o.payloadBytes, fmt.Sprintf("event %d of %d", i+1, o.count)); err != nil {
			return err
		}
	}
	return nil
}

// publishOne publishes one event and prints its cursor; what names the
// event in an error.
func (o *publishOptions) publishOne(ctx context.Context, client pushv1.PushClient, payload []byte, what string) error {
	req := &pushv1.PublishRequest{EventType: o.eventType, UserId: o.user, Payload: payload}
	resp, err := client.Publish(ctx, req)
	if err != nil {
		return fmt.Errorf("publish to %s (%s): %w", o.client.addr, what, describeRPCError(err))
	}
	_, err = fmt.Fprintln(o.g.streams.Out, resp.GetCursor())
	return err
}

// publishLines publishes each non-empty line of the source as it arrives,
// so `producer | galaxyctl publish --lines` streams. The source is read on
// its own goroutine: a read from a terminal or a pipe cannot be cancelled,
// and Ctrl-C must still end publish at once.
func (o *publishOptions) publishLines(ctx context.Context, client pushv1.PushClient) error {
	type line struct {
		n   int
		b   []byte
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines := make(chan line)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(o.linesFrom)
		sc.Buffer(make([]byte, 0, 64<<10), maxPayloadRead)
		n := 0
		for sc.Scan() {
			n++
			b := bytes.TrimSuffix(sc.Bytes(), []byte("\r"))
			if len(b) == 0 {
				continue
			}
			select {
			case lines <- line{n: n, b: bytes.Clone(b)}:
			case <-ctx.Done():
				return
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				err = fmt.Errorf("line %d is over %d MiB, more than galaxyctl sends in one event", n+1, maxPayloadRead>>20)
			}
			select {
			case lines <- line{err: err}:
			case <-ctx.Done():
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case l, ok := <-lines:
			if !ok {
				return nil
			}
			if l.err != nil {
				return fmt.Errorf("--lines: %w", l.err)
			}
			if err := o.publishOne(ctx, client, l.b, fmt.Sprintf("line %d", l.n)); err != nil {
				return err
			}
		}
	}
}
