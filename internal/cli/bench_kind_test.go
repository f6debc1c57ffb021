package cli

import (
	"context"
	"strings"
	"testing"

	"galaxy/galaxyctl/internal/loadgen"
)

// Client kinds no real client makes are usage errors that name both flags;
// a value that is not one of a flag's is one that names the flag.
func TestBenchKindUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--protocol", "grpc", "--http", "1.1"}, []string{"--http 1.1", "--protocol grpc", "HTTP/2 trailers"}},
		{[]string{"--profile", "browser", "--client-window", "static"}, []string{"--client-window static", "--profile browser"}},
		{[]string{"--profile", "grpc-go", "--client-window", "static"}, []string{"--client-window static", "--profile grpc-go"}},
		{[]string{"--profile", "grpc-go", "--protocol", "connect"}, []string{"--profile grpc-go", "--protocol connect", "grpc-go speaks only gRPC"}},
		{[]string{"--profile", "browser"}, []string{"--profile browser", "--protocol grpc", "trailers"}},
		{[]string{"--client-window", "dynamic", "--protocol", "grpc-web"}, []string{"--client-window dynamic", "--protocol grpc-web"}},
		{[]string{"--engine", "grpc-go", "--protocol", "connect"}, []string{"--engine grpc-go", "--protocol connect"}},
		{[]string{"--engine", "grpc-go", "--codec", "json"}, []string{"--engine grpc-go", "--codec json"}},
		{[]string{"--protocol", "connect", "--http", "1.1", "--streams-per-conn", "2"}, []string{"--streams-per-conn 2", "--http 1.1"}},
		{[]string{"--protocol", "http"}, []string{`--protocol "http" is not one of grpc, connect or grpc-web`}},
		{[]string{"--http", "3"}, []string{`--http "3" is not one of 2 or 1.1`}},
		{[]string{"--codec", "xml"}, []string{`--codec "xml" is not one of proto or json`}},
		{[]string{"--profile", "curl"}, []string{`--profile "curl" is not one of grpc-go, grpc-go-static or browser`}},
		{[]string{"--engine", "fast"}, []string{`--engine "fast" is not one of lean or grpc-go`}},
		{[]string{"--client-window", "auto"}, []string{`--client-window "auto" is not one of dynamic or static`}},
	} {
		streams, out, errOut := testStreams()
		code := Main(testContext(t), append([]string{"bench"}, tc.args...), streams)
		all := out.String() + errOut.String()
		if code != ExitUsage {
			t.Errorf("bench %v exit %d, want %d (%s)", tc.args, code, ExitUsage, all)
		}
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("bench %v printed %q, want it to name %q", tc.args, all, w)
			}
		}
	}
}

// The flags reach the engine's configuration: defaults stay today's
// (gRPC, HTTP/2, protobuf, grpc-go's dynamic window, the lean engine), and
// --client-window is the grpc-go profiles' other name.
func TestBenchKindConfig(t *testing.T) {
	for _, tc := range []struct {
		args                                   []string
		protocol, http, codec, profile, engine string
	}{
		{nil, "grpc", "2", "proto", "grpc-go", "lean"},
		{[]string{"--client-window", "static"}, "grpc", "2", "proto", "grpc-go-static", "lean"},
		{[]string{"--protocol", "connect"}, "connect", "2", "json", "browser", "lean"},
		{[]string{"--protocol", "grpc-web", "--http", "1.1"}, "grpc-web", "1.1", "proto", "browser", "lean"},
		{[]string{"--engine", "grpc-go", "--profile", "grpc-go-static"}, "grpc", "2", "proto", "grpc-go-static", "grpc-go"},
	} {
		var got loadgen.Config
		cmd := newBenchCmd(&globalOptions{}, func(_ context.Context, o *benchOptions) error {
			cfg, err := o.config()
			if err != nil {
				return err
			}
			got, err = cfg.WithDefaults()
			if cfg.Addr == "" {
				cfg.Addr = "127.0.0.1:1"
				got, err = cfg.WithDefaults()
			}
			return err
		})
		cmd.SetArgs(tc.args)
		cmd.SetContext(testContext(t))
		if err := cmd.Execute(); err != nil {
			t.Fatalf("bench %v: %v", tc.args, err)
		}
		if got.Protocol != tc.protocol || got.HTTP != tc.http || got.Codec != tc.codec || got.Profile != tc.profile || got.Engine != tc.engine {
			t.Errorf("bench %v = %s %s %s %s %s, want %s %s %s %s %s", tc.args, got.Protocol, got.HTTP, got.Codec, got.Profile, got.Engine,
				tc.protocol, tc.http, tc.codec, tc.profile, tc.engine)
		}
	}
}
