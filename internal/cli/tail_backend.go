package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"

	"galaxy/galaxyctl/internal/subscribe"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// runBackend follows Push.SubscribePush through the same subscriber a
// gateway uses, so tail exercises the production reconnect and cursor logic.
func (o *tailOptions) runBackend(ctx context.Context, conn *grpc.ClientConn, p *eventPrinter, st *tailState) error {
	log := o.g.Logger()
	// A certificate that fails verification fails every retry the same
	// way: tail ends with it instead of retrying for ever.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var tlsErr error
	sub, err := subscribe.New(subscribe.Config{
		ClientID:    o.clientID,
		Client:      pushv1.NewPushClient(conn),
		Cursor:      o.cursor,
		FromStart:   o.fromStart,
		Backoff:     o.backoff(),
		Clock:       o.clock,
		Rand:        o.rand,
		NoReconnect: o.noReconnect,
		Logger:      log.Named("subscriber"),
		Handler: func(_ context.Context, ev *pushv1.PushEvent) error {
			// As the gateway does: the user's events and broadcasts.
			if o.user != "" && ev.GetUserId() != "" && ev.GetUserId() != o.user {
				return nil
			}
			if err := p.printPush(ev); err != nil {
				return err
			}
			st.printed(ev.GetCursor())
			return nil
		},
		OnStart: func(si subscribe.StartInfo) {
			o.reportStart(si)
		},
		// The subscriber logs each retry itself.
		OnRetry: func(err error, _ int, _ time.Duration) {
			if isTLSFailure(err) {
				tlsErr = err
				stop()
			}
		},
	})
	if err != nil {
		return err
	}
	if o.cursor != "" {
		st.cursor = o.cursor
	}
	err = sub.Run(ctx)
	if c := sub.Cursor(); c != "" {
		st.mu.Lock()
		st.cursor = c
		st.mu.Unlock()
	}
	if tlsErr != nil {
		err = tlsErr
	}
	if err != nil {
		return fmt.Errorf("tail %s: %w", o.client.addr, describeRPCError(err))
	}
	return nil
}

// reportStart warns when the backend could not resume the cursor: the user
// must know events were lost, and how many.
func (o *tailOptions) reportStart(si subscribe.StartInfo) {
	if si.Start != pushv1.StartReset {
		return
	}
	w := o.g.streams.ErrOut
	switch si.ResetReason {
	case pushv1.ReasonIncarnation:
		_, _ = fmt.Fprintln(w, "warning: the cursor is from an earlier backend incarnation (the backend restarted); an unknown number of events were missed; replaying everything the ring holds")
	default:
		missed := "an unknown number of"
		if si.Missed >= 0 {
			missed = fmt.Sprint(si.Missed)
		}
		_, _ = fmt.Fprintf(w, "warning: the cursor has expired: %s events were evicted before they could be replayed; replaying everything the ring holds\n", missed)
	}
}

// printResume prints the exact command that continues after the last event.
func (o *tailOptions) printResume(st *tailState) {
	w := o.g.streams.ErrOut
	cursor := st.lastCursor()
	if cursor == "" {
		_, _ = fmt.Fprintln(w, "no events received; nothing to resume from")
		return
	}
	args := []string{"galaxyctl", "tail"}
	if o.target != "backend" {
		args = append(args, "--target", o.target)
	}
	if o.client.addr != defaultAddr {
		args = append(args, "--addr", o.client.addr)
	}
	if o.client.tls && o.client.caFile == "" && !o.client.insecureSkip {
		args = append(args, "--tls")
	}
	if o.client.caFile != "" {
		args = append(args, "--cacert", o.client.caFile)
	}
	if o.client.insecureSkip {
		args = append(args, "--insecure-skip-verify")
	}
	if o.user != "" {
		args = append(args, "--user", o.user)
	}
	if o.output != "pretty" {
		args = append(args, "-o", o.output)
	}
	args = append(args, "--cursor", cursor)
	_, _ = fmt.Fprintf(w, "resume with: %s\n", shellJoin(args))
}

// shellJoin quotes args for a POSIX shell where needed.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		// A leading '=' is safe in POSIX sh but zsh expands =word to a
		// command's path, so it is quoted too.
		if a != "" && a[0] != '=' && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+", r))
		}) < 0 {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}
