package loadgen

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// gatewayEnv makes the test binary a stand-in gateway in a process of its
// own (runGateway), so that a benchmark's memory is the clients' alone.
const gatewayEnv = "LOADGEN_BENCH_GATEWAY"

func init() {
	if dir := os.Getenv(gatewayEnv); dir != "" {
		runGateway(dir)
		os.Exit(0)
	}
}

// BenchmarkClientMemory is bench's memory per idle client: RSS and Go
// heap per stream as the report measures them (the delta between before
// the ramp and after the warm-up, at default GOGC), and goroutines per
// stream, for both engines, h2c and TLS, at 2,000 clients. (bench itself
// at 10,000 clients is the figure of record; the README has it.)
func BenchmarkClientMemory(b *testing.B) {
	for _, tc := range []struct {
		name, engine string
		tls          bool
	}{
		{"lean/h2c", EngineLean, false},
		{"lean/tls", EngineLean, true},
		{"grpc-go/h2c", EngineGRPCGo, false},
		{"grpc-go/tls", EngineGRPCGo, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			addr, ca := startGateway(b, tc.tls)
			for b.Loop() {
				cfg := Config{Addr: addr, Clients: 2000, Engine: tc.engine, Warmup: time.Second,
					Duration: time.Second, ExpectedInterval: time.Second}
				if tc.tls {
					cfg.TLS = &tls.Config{RootCAs: ca, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS13}
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				rep, err := Run(ctx, cfg)
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				m := rep.Memory
				b.ReportMetric(m.ClientBytesPerStream, "rss-B/client")
				b.ReportMetric(m.ClientHeapPerStream, "heap-B/client")
				b.ReportMetric(m.ClientGoroutinesPerStream, "goroutines/client")
			}
		})
	}
}

// startGateway starts the stand-in gateway process and returns its
// address and, with TLS, the pool that trusts it.
func startGateway(b *testing.B, withTLS bool) (string, *x509.CertPool) {
	b.Helper()
	dir := b.TempDir()
	if withTLS {
		server, _ := testCert(b)
		der := server.Certificates[0].Certificate[0]
		key, err := x509.MarshalPKCS8PrivateKey(server.Certificates[0].PrivateKey)
		if err != nil {
			b.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
		os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600)
	}
	cmd := exec.CommandContext(b.Context(), os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), gatewayEnv+"="+dir)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		in.Close()
		cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		b.Fatal("the gateway did not start")
	}
	addr := strings.TrimPrefix(sc.Text(), "ADDR ")
	if !withTLS {
		return addr, nil
	}
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(filepath.Join(dir, "cert.pem"))
	pool.AppendCertsFromPEM(pem)
	return addr, pool
}

// runGateway serves the stub gateway (with TLS when dir holds a key pair)
// until stdin closes.
func runGateway(dir string) {
	var opts []grpc.ServerOption
	if cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")); err == nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})))
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := grpc.NewServer(opts...)
	gatewayv1.RegisterGatewayServer(srv, &stubGateway{interval: time.Second, peers: map[string]int{}, users: map[string]bool{}})
	go srv.Serve(lis)
	fmt.Println("ADDR " + lis.Addr().String())
	bufio.NewScanner(os.Stdin).Scan()
	srv.Stop()
}
