package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/backoff"
	"galaxy/galaxyctl/internal/clock"
	"galaxy/galaxyctl/internal/gateway"
)

var (
	tailTargets = []string{"backend", "gateway"}
	tailOutputs = []string{"pretty", "json"}
)

// tailOptions holds tail's flags and dependencies.
type tailOptions struct {
	g      *globalOptions
	client clientOptions

	target      string
	clientID    string
	user        string
	cursor      string
	fromStart   bool
	output      string
	count       int
	timeout     time.Duration
	noReconnect bool
	backoffBase time.Duration
	backoffMax  time.Duration
	heartbeats  bool
	verifyKey   string
	wide        bool
	types       []string

	// typeFilter is resolved by validate from --type.
	typeFilter typeFilter
	// tlsProbe asks a plaintext tail's server once whether it serves TLS.
	tlsProbe  sync.Once
	servesTLS bool

	// pubKey is resolved by complete from --verify-key.
	pubKey ed25519.PublicKey
	// clock stamps printed events and times --timeout and reconnect waits;
	// rand draws the waits' jitter. nil means the system clock and
	// math/rand/v2; tests inject fakes.
	clock clock.Clock
	rand  func() float64
}

func newTailCmd(g *globalOptions, runF func(context.Context, *tailOptions) error) *cobra.Command {
	o := &tailOptions{g: g}
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Follow events live from a backend or a gateway, resumable by cursor",
		Long: `Tail follows either end of the pipeline live and prints each event.

With --target backend (the default) it subscribes to Push.SubscribePush like a
gateway does, reconnecting with backoff and resending the cursor of the last
event it printed, so every event still in the ring arrives exactly once. On
exit it prints to stderr the exact command that resumes after the last event.
If the cursor has expired, a warning says how many events were missed.

With --target gateway it holds a client stream (Gateway.Subscribe) as a
browser would, resuming after the last event it printed (last_event_id) on
every reconnect, from the gateway's window of recent events; --cursor takes
an event_id to resume after, and on exit the resume command is printed as
for the backend. --heartbeats shows the heartbeats the gateway sends after
each silence, and --verify-key checks each event's Ed25519 signature.`,
		Example: `  # live events from the local backend, as JSON lines
  galaxyctl tail -o json

  # everything the ring still holds, then live; stop after 100 events
  galaxyctl tail --from-start -n 100

  # resume after a cursor printed by a previous tail or by publish
  galaxyctl tail --cursor 5f1c0b7e9a3d2c11-0000000000000007

  # a client's view of a gateway, heartbeats included, signatures checked
  galaxyctl tail --target gateway --addr 127.0.0.1:7071 --heartbeats --verify-key gateway.pub

  # resume at the gateway after an event_id printed by a previous tail
  galaxyctl tail --target gateway --cursor 5f1c0b7e9a3d2c11-0000000000000007`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.complete(cmd); err != nil {
				return err
			}
			if err := o.validate(cmd); err != nil {
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
	fs.StringVar(&o.target, "target", "backend", "which end to follow: "+joinOr(tailTargets))
	fs.StringVar(&o.clientID, "client-id", "", "gateway_client_id to subscribe with (default: unique per process, so tail never replaces a real gateway)")
	fs.StringVar(&o.user, "user", "", "only events for this user id, and broadcasts (events without one)")
	fs.StringVar(&o.cursor, "cursor", "", "resume after this cursor (backend) or event_id (gateway)")
	fs.BoolVar(&o.fromStart, "from-start", false, "start with every event the ring still holds (backend only)")
	fs.StringVarP(&o.output, "output", "o", "pretty", "output format: "+joinOr(tailOutputs))
	fs.IntVarP(&o.count, "count", "n", 0, "exit after printing this many events, heartbeats too with --heartbeats (0: no limit)")
	fs.DurationVar(&o.timeout, "timeout", 0, "exit after this long (0: no limit); with --count, not reaching it in time is an error")
	fs.BoolVar(&o.noReconnect, "no-reconnect", false, "exit with an error when the stream fails instead of reconnecting")
	fs.DurationVar(&o.backoffBase, "backoff-base", 250*time.Millisecond, "first reconnect delay; doubles per failure, ±20% jitter")
	fs.DurationVar(&o.backoffMax, "backoff-max", 30*time.Second, "longest reconnect delay")
	fs.BoolVar(&o.heartbeats, "heartbeats", false, "print gateway heartbeats too (gateway only)")
	fs.StringVar(&o.verifyKey, "verify-key", "", "PEM Ed25519 public key: check each event's signature (gateway only)")
	fs.StringArrayVar(&o.types, "type", nil, "only events whose type matches this pattern: tokens split on '.', '*' matches one, '>' the rest (repeatable)")
	fs.BoolVar(&o.wide, "wide", false, "pretty output: do not cut payloads to the terminal's width")
	registerEnumCompletion(cmd, "target", tailTargets)
	registerEnumCompletion(cmd, "output", tailOutputs)
	_ = cmd.MarkFlagFilename("verify-key")
	_ = cmd.MarkFlagFilename("cacert")
	return cmd
}

// complete resolves the address, the TLS files and the default client id,
// and reads the --verify-key of a gateway tail.
func (o *tailOptions) complete(cmd *cobra.Command) error {
	if err := o.client.complete(cmd.Flags(), o.g.env); err != nil {
		return err
	}
	if o.clientID == "" {
		o.clientID = defaultTailClientID()
	}
	if o.verifyKey != "" && o.target == "gateway" {
		k, err := gateway.LoadPublicKey(o.verifyKey)
		if err != nil {
			return usagef("--verify-key: %v", err)
		}
		o.pubKey = k
	}
	return nil
}

// validate checks the flags, without I/O; cmd tells which were given.
func (o *tailOptions) validate(cmd *cobra.Command) error {
	if err := o.client.validate(); err != nil {
		return err
	}
	if !contains(tailTargets, o.target) {
		return usagef("--target %q is not one of %s", o.target, joinOr(tailTargets))
	}
	if !contains(tailOutputs, o.output) {
		return usagef("--output %q is not one of %s", o.output, joinOr(tailOutputs))
	}
	if o.count < 0 {
		return usagef("--count must be 0 (no limit) or positive, got %d", o.count)
	}
	if o.timeout < 0 {
		return usagef("--timeout must be 0 (no limit) or positive, got %s", o.timeout)
	}
	if o.backoffBase <= 0 {
		return usagef("--backoff-base must be positive, got %s", o.backoffBase)
	}
	if o.backoffMax < o.backoffBase {
		return usagef("--backoff-max (%s) must be at least --backoff-base (%s)", o.backoffMax, o.backoffBase)
	}
	if err := o.validateTarget(cmd); err != nil {
		return err
	}
	f, err := parseTypeFilter(o.types)
	if err != nil {
		return err
	}
	o.typeFilter = f
	switch {
	case o.cursor == "":
	case o.fromStart:
		return usagef("--cursor and --from-start are alternatives: give one")
	case o.target == "gateway":
		// A gateway event id is opaque to its clients; only its size is
		// bounded.
		if n := len(o.cursor); n > gateway.MaxEventIDBytes {
			return usagef("--cursor is %d bytes, over the gateway's limit of %d for an event_id", n, gateway.MaxEventIDBytes)
		}
	default:
		if _, err := backend.ParseCursor(o.cursor); err != nil {
			return usagef("--cursor: %v", err)
		}
	}
	return nil
}

// validateTarget refuses the flags of the other --target.
func (o *tailOptions) validateTarget(cmd *cobra.Command) error {
	if o.target == "gateway" {
		for _, f := range []string{"from-start", "client-id"} {
			if cmd.Flags().Changed(f) {
				return usagef("--%s is only for --target backend", f)
			}
		}
		return nil
	}
	for _, f := range []string{"heartbeats", "verify-key"} {
		if cmd.Flags().Changed(f) {
			return usagef("--%s is only for --target gateway", f)
		}
	}
	return nil
}

// defaultTailClientID is unique per process, so two tails (or a tail and a
// real gateway) never replace each other's subscription.
func defaultTailClientID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("tail-%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

func (o *tailOptions) backoff() backoff.Config {
	return backoff.Config{Base: o.backoffBase, Multiplier: 2, Jitter: 0.2, Max: o.backoffMax}
}

// errTimedOut marks the end of --timeout, which is only an error with --count.
var errTimedOut = errors.New("tail timed out")

// run follows the chosen end until --count, --timeout, ctx or a failure
// ends it, then prints how to resume.
func (o *tailOptions) run(ctx context.Context) error {
	conn, err := o.client.dial(o.g)
	if err != nil {
		return err
	}
	// Closing a client connection reports nothing worth acting on.
	defer func() { _ = conn.Close() }()
	clk := clock.Or(o.clock)
	ctx = o.client.withHeaders(ctx)
	if o.timeout > 0 {
		// A local timer, not a context deadline: a deadline would travel
		// to the server, whose cancel could then reach tail as a stream
		// error (DeadlineExceeded) before tail saw its own context end.
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		defer cancel(nil)
		timer := clk.AfterFunc(o.timeout, func() { cancel(errTimedOut) })
		defer timer.Stop()
	}
	// done ends the stream once --count events were printed; the handler
	// returns nil first so the last event's cursor counts as handled.
	ctx, done := context.WithCancel(ctx)
	defer done()

	po := printerOptions{output: o.output, heartbeats: o.heartbeats, pub: o.pubKey, now: clk.Now}
	if !o.wide {
		po.width = o.g.streams.OutWidth
	}
	p := newEventPrinter(o.g.streams.Out, po)
	st := &tailState{want: o.count, done: done}
	var runErr error
	if o.target == "gateway" {
		runErr = o.runGateway(ctx, conn, p, st)
	} else {
		runErr = o.runBackend(ctx, conn, p, st)
	}
	o.printResume(st)
	if runErr == nil && o.count > 0 && st.seen() < o.count && errors.Is(context.Cause(ctx), errTimedOut) {
		runErr = fmt.Errorf("--timeout %s passed after %d of %d events", o.timeout, st.seen(), o.count)
	}
	return o.outcome(st, p, runErr)
}
