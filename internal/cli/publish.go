package cli

import (
	"context"
	"fmt"
	"os"
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

	// payloadBytes is resolved by complete from --payload.
	payloadBytes []byte
}

func newPublishCmd(g *globalOptions, runF func(context.Context, *publishOptions) error) *cobra.Command {
	o := &publishOptions{g: g}
	cmd := &cobra.Command{
		Use:   "publish",
		Short: "Publish events to a backend and print their cursors",
		Long: `Publish appends events to a galaxy backend's ring through Push.Publish and
prints each event's cursor on its own line, so a script can resume a tail
from exactly that point.`,
		Example: `  # one event for user-1
  galaxyctl publish --type order.created --user user-1 --payload '{"id":42}'

  # ten events with the payload read from a file
  galaxyctl publish --type doc.updated --payload @doc.json --count 10`,
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
	fs.StringVar(&o.payload, "payload", "", "payload text, or @FILE to read it from a file")
	fs.IntVarP(&o.count, "count", "n", 1, "number of events to publish")
	_ = cmd.MarkFlagFilename("cacert")
	return cmd
}

// complete resolves the address and TLS files, and reads the payload.
func (o *publishOptions) complete(cmd *cobra.Command) error {
	if err := o.client.complete(cmd.Flags(), o.g.env); err != nil {
		return err
	}
	if path, ok := strings.CutPrefix(o.payload, "@"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return usagef("--payload @%s: %v", path, err)
		}
		o.payloadBytes = b
	} else {
		o.payloadBytes = []byte(o.payload)
	}
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
	return nil
}

// run publishes --count events and prints each cursor as it comes back.
func (o *publishOptions) run(ctx context.Context) error {
	conn, err := o.client.dial(o.g)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }() // fails only if already closed
	client := pushv1.NewPushClient(conn)
	ctx = o.client.withHeaders(ctx)
	req := &pushv1.PublishRequest{EventType: o.eventType, UserId: o.user, Payload: o.payloadBytes}
	for i := 0; i < o.count; i++ {
		resp, err := client.Publish(ctx, req)
		if err != nil {
			return fmt.Errorf("publish to %s (event %d of %d): %w", o.client.addr, i+1, o.count, describeRPCError(err))
		}
		if _, err := fmt.Fprintln(o.g.streams.Out, resp.GetCursor()); err != nil {
			return err
		}
	}
	return nil
}
