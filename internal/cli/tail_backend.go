package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"

	"galaxy/galaxyctl/internal/subscribe"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// runBackend follows Push.SubscribePush through the same subscriber a
// gateway uses, so tail exercises the production reconnect and cursor logic.
func (o *tailOptions) runBackend(ctx context.Context, conn *grpc.ClientConn, p *eventPrinter, st *tailState) error {
	// A failure that fails every retry the same way (a certificate that
	// fails verification, a TLS server) ends tail instead of a retry for
	// ever.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var permErr error
	sub, err := subscribe.New(subscribe.Config{
		ClientID:    o.clientID,
		Client:      pushv1.NewPushClient(conn),
		Cursor:      o.cursor,
		FromStart:   o.fromStart,
		Backoff:     o.backoff(),
		Clock:       o.clock,
		Rand:        o.rand,
		NoReconnect: o.noReconnect,
		// tail logs its reconnects itself, in the gateway tail's words.
		Logger: zap.NewNop(),
		Handler: func(_ context.Context, ev *pushv1.PushEvent) error {
			st.receivedEvent()
			if !o.wants(ev.GetEventType(), ev.GetUserId()) {
				return nil
			}
			if err := p.printPush(ev); err != nil {
				return err
			}
			st.printed()
			return nil
		},
		OnStart: func(si subscribe.StartInfo) {
			st.started()
			o.reportStart(si)
		},
		OnRetry: func(err error, attempt int, delay time.Duration) {
			st.failed(err)
			if o.permanent(ctx, err) {
				permErr = err
				stop()
				return
			}
			o.logRetry(err, attempt, delay)
		},
	})
	if err != nil {
		return err
	}
	if o.cursor != "" {
		st.setCursor(o.cursor)
	}
	err = sub.Run(ctx)
	if c := sub.Cursor(); c != "" {
		st.setCursor(c)
	}
	if permErr != nil {
		err = permErr
	}
	if err != nil {
		return fmt.Errorf("tail %s: %w", o.client.addr, describeRPCError(err))
	}
	return nil
}

// permanent says whether err fails every retry alike: a server certificate
// that fails verification, or, for a plaintext tail, a server that closed
// the connection before its HTTP/2 preface and turns out to serve TLS.
func (o *tailOptions) permanent(ctx context.Context, err error) bool {
	if isTLSFailure(err) {
		return true
	}
	if o.client.tlsConfig != nil || !strings.Contains(err.Error(), "server preface") {
		return false
	}
	o.tlsProbe.Do(func() { o.servesTLS = o.client.servesTLS(ctx) })
	return o.servesTLS
}

// reportStart warns when the backend could not resume the cursor: the user
// must know events were lost, and how many.
func (o *tailOptions) reportStart(si subscribe.StartInfo) {
	if si.Start != pushv1.StartReset {
		return
	}
	switch si.ResetReason {
	case pushv1.ReasonIncarnation:
		o.g.say(zapcore.WarnLevel, "warning: the cursor is from an earlier backend incarnation (the backend restarted); an unknown number of events were missed; replaying everything the ring holds",
			zap.String("reason", si.ResetReason))
	default:
		missed := "an unknown number of"
		if si.Missed >= 0 {
			missed = fmt.Sprint(si.Missed)
		}
		o.g.say(zapcore.WarnLevel, fmt.Sprintf("warning: the cursor has expired: %s events were evicted before they could be replayed; replaying everything the ring holds", missed),
			zap.String("reason", si.ResetReason), zap.Int64("missed", si.Missed))
	}
}

// printResume prints the exact command that continues after the last event.
func (o *tailOptions) printResume(st *tailState) {
	cursor := st.lastCursor()
	if cursor == "" {
		o.g.say(zapcore.InfoLevel, "no events received; nothing to resume from")
		return
	}
	args := []string{"galaxyctl", "tail"}
	if o.target != "backend" {
		args = append(args, "--target", o.target)
	}
	// An address from GALAXYCTL_ADDR is left to the variable, as the user
	// typed none.
	if o.client.addr != defaultAddr && !o.client.addrFromEnv {
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
	for _, t := range o.types {
		args = append(args, "--type", t)
	}
	args = append(args, "--cursor", cursor)
	cmd := shellJoin(args)
	o.g.say(zapcore.InfoLevel, "resume with: "+cmd, zap.String("resume_command", cmd), zap.String("cursor", cursor))
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
