package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/pipeline"

	"github.com/spf13/cobra"
)

// testStreams captures a command's output.
func testStreams() (IOStreams, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut}, out, errOut
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// execute runs one command built by build with argv, through the root's
// global flags, and returns its error.
func execute(t *testing.T, args []string, build func(g *globalOptions) *cobra.Command) error {
	t.Helper()
	streams, _, _ := testStreams()
	g := &globalOptions{streams: streams, logLevel: "error", logFormat: "console"}
	cmd := build(g)
	cmd.SetArgs(args)
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })
	_, err := cmd.ExecuteContextC(testContext(t))
	return err
}

func TestTailFlagsParse(t *testing.T) {
	t.Setenv("GALAXYCTL_ADDR", "")
	var got *tailOptions
	err := execute(t, []string{"--target", "backend", "--cursor", "00000000000000ab-0000000000000003",
		"-o", "json", "-n", "5", "--timeout", "2s", "--no-reconnect", "--user", "u1", "-H", "x-team=push",
		"--backoff-base", "100ms", "--backoff-max", "1s"},
		func(g *globalOptions) *cobra.Command {
			return newTailCmd(g, func(_ context.Context, o *tailOptions) error { got = o; return nil })
		})
	if err != nil {
		t.Fatalf("tail = %v, want nil", err)
	}
	if got.target != "backend" || got.cursor != "00000000000000ab-0000000000000003" || got.output != "json" ||
		got.count != 5 || got.timeout != 2*time.Second || !got.noReconnect || got.user != "u1" ||
		got.backoffBase != 100*time.Millisecond || got.backoffMax != time.Second || got.client.addr != defaultAddr {
		t.Errorf("tail options = %+v, want the flags given", got)
	}
	md, _ := parseHeaders(got.client.headers)
	if v := md.Get("x-team"); len(v) != 1 || v[0] != "push" {
		t.Errorf("tail -H x-team=push metadata = %v, want [push]", v)
	}
	if !strings.HasPrefix(got.clientID, "tail-") {
		t.Errorf("tail default client id = %q, want a unique tail-… id", got.clientID)
	}
}

func TestTailDefaultClientIDsDiffer(t *testing.T) {
	a, b := defaultTailClientID(), defaultTailClientID()
	if a == b {
		t.Errorf("defaultTailClientID() twice = %q, %q, want two different ids", a, b)
	}
}

// TestValidationErrors covers every usage error of tail, publish and serve:
// each names its flag, says what is accepted, and exits 2.
func TestValidationErrors(t *testing.T) {
	t.Setenv("GALAXYCTL_ADDR", "")
	tail := func(g *globalOptions) *cobra.Command { return newTailCmd(g, nopRun[tailOptions]) }
	serve := func(g *globalOptions) *cobra.Command { return newServeCmd(g, nopRun[serveOptions]) }
	publish := func(g *globalOptions) *cobra.Command { return newPublishCmd(g, nopRun[publishOptions]) }
	const cursor = "00000000000000ab-0000000000000003"
	tests := []struct {
		args  []string
		build func(*globalOptions) *cobra.Command
		flag  string
		want  string
	}{
		{[]string{"--target", "x"}, tail, "--target", `--target "x" is not one of backend or gateway`},
		{[]string{"-o", "yaml"}, tail, "--output", `--output "yaml" is not one of pretty or json`},
		{[]string{"--cursor", "zz"}, tail, "--cursor", `--cursor: cursor "zz"`},
		{[]string{"--cursor", cursor, "--from-start"}, tail, "--cursor", "--cursor and --from-start are alternatives"},
		{[]string{"--target", "gateway", "--cursor", strings.Repeat("x", 257)}, tail, "--cursor", "--cursor is 257 bytes, over the gateway's limit of 256 for an event_id"},
		{[]string{"--target", "gateway", "--from-start"}, tail, "--from-start", "--from-start is only for --target backend"},
		{[]string{"--target", "gateway", "--client-id", "x"}, tail, "--client-id", "--client-id is only for --target backend"},
		{[]string{"--heartbeats"}, tail, "--heartbeats", "--heartbeats is only for --target gateway"},
		{[]string{"--verify-key", "/nonexistent.pub"}, tail, "--verify-key", "--verify-key is only for --target gateway"},
		{[]string{"-n", "-1"}, tail, "--count", "--count must be 0 (no limit) or positive"},
		{[]string{"--timeout", "-1s"}, tail, "--timeout", "--timeout must be 0 (no limit) or positive, got -1s"},
		{[]string{"--backoff-base", "0s"}, tail, "--backoff-base", "--backoff-base must be positive"},
		{[]string{"--backoff-base", "2s", "--backoff-max", "1s"}, tail, "--backoff-max", "--backoff-max (1s) must be at least --backoff-base (2s)"},
		{[]string{"--addr", "nohost"}, tail, "--addr", `--addr "nohost" is not HOST:PORT`},
		{[]string{"-H", "novalue"}, tail, "--header", `--header "novalue": want key=value`},
		{[]string{"-H", "grpc-x=1"}, publish, "--header", `keys starting grpc- are reserved`},
		{[]string{"--count", "x"}, tail, "--count", `invalid argument "x" for "-n, --count"`},
		{[]string{"--addr", "127.0.0.1:99999"}, tail, "--addr", `--addr "127.0.0.1:99999": the port must be a number from 1 to 65535`},
		{[]string{"--cacert", "/nonexistent/ca.pem"}, tail, "--cacert", "--cacert: open /nonexistent/ca.pem"},
		{[]string{"--target", "gateway", "--verify-key", "/nonexistent.pub"}, tail, "--verify-key", "--verify-key: "},
		{[]string{"--addr", "127.0.0.1:0"}, publish, "--addr", `--addr "127.0.0.1:0": the port must be a number from 1 to 65535`},
		{[]string{"--count", "0"}, publish, "--count", "--count must be at least 1"},
		{[]string{"--type", " "}, publish, "--type", "--type must not be empty"},
		{[]string{"--payload", "@/nonexistent/file"}, publish, "--payload", "--payload @/nonexistent/file"},
		{[]string{"--heartbeat", "-1s"}, serve, "--heartbeat", "--heartbeat must be 0 (off) or positive, got -1s"},
		{[]string{"--role", "edge"}, serve, "--role", `--role "edge" is not one of all, backend or gateway`},
		{[]string{"--role", "gateway"}, serve, "--role", "--role gateway needs --backend"},
		{[]string{"--backend", "127.0.0.1:1"}, serve, "--backend", "--backend is only for --role gateway"},
		{[]string{"--role", "gateway", "--backend", "nohost"}, serve, "--backend", `--backend "nohost" is not HOST:PORT`},
		{[]string{"--ring-size", "0"}, serve, "--ring-size", "--ring-size must be at least 1"},
		{[]string{"--slow-client-timeout", "0s"}, serve, "--slow-client-timeout", "--slow-client-timeout must be positive, got 0s"},
		{[]string{"--client-replay-age", "-1s"}, serve, "--client-replay-age", "--client-replay-age must be positive, got -1s"},
		{[]string{"--handshake-timeout", "0s"}, serve, "--handshake-timeout", "--handshake-timeout must be positive, got 0s"},
		{[]string{"--max-connection-idle", "0s"}, serve, "--max-connection-idle", "--max-connection-idle must be positive, got 0s"},
		{[]string{"--client-replay-events", "0"}, serve, "--client-replay-events", "--client-replay-events must be at least 1, got 0"},
		{[]string{"--client-replay-bytes", "0"}, serve, "--client-replay-bytes", "--client-replay-bytes must be at least 1, got 0"},
		{[]string{"--freshness", "0s"}, serve, "--freshness", "--freshness must be positive"},
		{[]string{"--tls-cert", "a.pem"}, serve, "--tls-cert", "--tls-cert and --tls-key go together"},
		{[]string{"--tls-self-signed", "--tls-cert", "a", "--tls-key", "b"}, serve, "--tls-self-signed", "--tls-self-signed and --tls-cert are alternatives"},
		{[]string{"--publish-rate", "-1"}, serve, "--publish-rate", "--publish-rate must be 0 (none) or from 0.001 to 1e+06 events per second, got -1"},
		{[]string{"--publish-rate", "1e-10"}, serve, "--publish-rate", "--publish-rate must be 0 (none) or from 0.001"},
		{[]string{"--publish-rate", "NaN"}, serve, "--publish-rate", "got NaN"},
		{[]string{"--role", "gateway", "--backend", "127.0.0.1:1", "--publish-rate", "1"}, serve, "--publish-rate", "--publish-rate needs a backend"},
		{[]string{"--listen", "127.0.0.1:99999"}, serve, "--listen", `--listen "127.0.0.1:99999": the port must be a number from 0 to 65535`},
		{[]string{"--metrics-listen", "x"}, serve, "--metrics-listen", `--metrics-listen "x" is not HOST:PORT`},
		{[]string{"--drain-timeout", "0s"}, serve, "--drain-timeout", "--drain-timeout must be positive"},
		{[]string{"--max-connections", "-1"}, serve, "--max-connections", "--max-connections must be 0 (no limit) or positive"},
		{[]string{"--signing-key", "/nonexistent.pem"}, serve, "--signing-key", "--signing-key: "},
		{[]string{"--http-versions", "3"}, serve, "--http-versions", `--http-versions: "3" is not one of 1.1 or 2`},
		{[]string{"--http-versions", "2,2"}, serve, "--http-versions", "--http-versions: 2 is given twice"},
		{[]string{"--http-versions", ""}, serve, "--http-versions", "--http-versions needs at least one of 1.1 or 2"},
		{[]string{"--cors-origin", "app.example.com"}, serve, "--cors-origin", `--cors-origin: "app.example.com" is not an origin: want scheme://host[:port]`},
		{[]string{"--cors-origin", "https://app.example.com/"}, serve, "--cors-origin", `"https://app.example.com/" is not an origin`},
		{[]string{"--web", "--role", "backend"}, serve, "--web", "--web needs a gateway: use --role all or gateway"},
		{[]string{"--cors-origin", "*", "--role", "backend"}, serve, "--cors-origin", "--cors-origin needs a gateway"},
		{[]string{"--tls-cert", "/nonexistent.crt", "--tls-key", "/nonexistent.key"}, serve, "--tls-cert", "--tls-cert /nonexistent.crt / --tls-key /nonexistent.key: open"},
		{[]string{"--role", "gateway", "--backend", "127.0.0.1:1", "--backend-cacert", "/nonexistent.pem"}, serve, "--backend-cacert", "--backend-cacert: open /nonexistent.pem"},
	}
	for _, tt := range tests {
		err := execute(t, tt.args, tt.build)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.flag) {
			t.Errorf("%v = %v, want an error naming %s: %q", tt.args, err, tt.flag, tt.want)
			continue
		}
		if code := exitCode(context.Background(), err); code != ExitUsage {
			t.Errorf("exitCode(%v) = %d, want %d", err, code, ExitUsage)
		}
	}
}

// TestValidatePure runs validate on options whose files do not exist:
// validate reads none of them (complete does), so it accepts.
func TestValidatePure(t *testing.T) {
	cmd := newTailCmd(&globalOptions{}, nil)
	if err := cmd.ParseFlags([]string{"--target", "gateway", "--verify-key", "/nonexistent.pub", "--cacert", "/nonexistent/ca.pem"}); err != nil {
		t.Fatal(err)
	}
	o := &tailOptions{target: "gateway", output: "pretty", backoffBase: 1, backoffMax: 1, verifyKey: "/nonexistent.pub",
		client: clientOptions{addr: defaultAddr, caFile: "/nonexistent/ca.pem"}}
	if err := o.validate(cmd); err != nil {
		t.Errorf("tail validate() with missing files = %v, want nil: files are complete's", err)
	}
	p := &publishOptions{eventType: "t", count: 1, payload: "@/nonexistent/file", client: clientOptions{addr: defaultAddr}}
	if err := p.validate(); err != nil {
		t.Errorf("publish validate() with a missing payload file = %v, want nil", err)
	}
	s := &serveOptions{listen: "127.0.0.1:0", role: "all", freshness: 1, ringSize: 1, drainTimeout: 1,
		slowClientTimeout: 1, clientReplayEvents: 1, clientReplayAge: 1, clientReplayBytes: 1,
		limits:         pipeline.DefaultLimits(),
		signingKeyFile: "/nonexistent.pem", tlsCert: "/nonexistent.crt", tlsKey: "/nonexistent.key", httpVersions: httpVersions}
	if err := s.validate(); err != nil {
		t.Errorf("serve validate() with missing files = %v, want nil", err)
	}
}

func nopRun[T any](context.Context, *T) error { return nil }

func TestMainExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"version"}, ExitOK, "galaxyctl "},
		{[]string{"--version"}, ExitOK, "galaxyctl "},
		{[]string{"completion", "zhs"}, ExitUsage, `completion needs one shell, bash, zsh, fish or powershell; got ["zhs"]`},
		{[]string{"completion"}, ExitUsage, "completion needs one shell"},
		{[]string{"docs", "foo"}, ExitUsage, "galaxyctl docs needs one of: man, markdown, completions"},
		{[]string{"bench", "--report", "/nonexistent-dir/r.json"}, ExitUsage, "--report /nonexistent-dir/r.json: cannot write there"},
		{[]string{"bench", "--ramp-rate", "NaN"}, ExitUsage, "--ramp-rate"},
		{[]string{"bench", "--streams-per-conn", "1100"}, ExitUsage, "--streams-per-conn 1100 is over the embedded gateway's 1024"},
		{[]string{"nope"}, ExitUsage, "Run 'galaxyctl --help' for usage."},
		{[]string{"tail", "--bogus"}, ExitUsage, "Run 'galaxyctl tail --help' for usage."},
		{[]string{"tail", "extra-arg"}, ExitUsage, "takes no arguments"},
		{[]string{"--log-level", "loud", "version"}, ExitUsage, `--log-level "loud" is not one of debug, info, warn or error`},
		{[]string{"tail", "--addr", "127.0.0.1:1", "--no-reconnect"}, ExitFailure, "Unavailable"},
	}
	for _, tt := range tests {
		streams, out, errOut := testStreams()
		code := Main(testContext(t), tt.args, streams)
		all := out.String() + errOut.String()
		if code != tt.code || !strings.Contains(all, tt.want) {
			t.Errorf("Main(%v) = %d, output %q; want %d and %q", tt.args, code, all, tt.code, tt.want)
		}
		if strings.Contains(errOut.String(), "Usage:") {
			t.Errorf("Main(%v) printed the whole usage block on error:\n%s", tt.args, errOut)
		}
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"galaxyctl", "tail", "--user", "a b", "--cursor", "ab-01", "it's"})
	want := `galaxyctl tail --user 'a b' --cursor ab-01 'it'\''s'`
	if got != want {
		t.Errorf("shellJoin = %s, want %s", got, want)
	}
}
