package faultproxy

import (
	"strings"
	"testing"
	"time"
)

func TestStartRejectsNonLoopback(t *testing.T) {
	const target = "127.0.0.1:1"
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"all interfaces", Config{Listen: "0.0.0.0:0", Target: target}, `listen address "0.0.0.0:0" is not loopback`},
		{"empty host", Config{Listen: ":0", Target: target}, `listen address ":0" is not loopback`},
		{"ipv6 any", Config{Listen: "[::]:0", Target: target}, `listen address "[::]:0" is not loopback`},
		{"host name", Config{Listen: "localhost:0", Target: target}, `listen address "localhost:0" is not loopback`},
		{"private address", Config{Listen: "192.168.1.1:0", Target: target}, `listen address "192.168.1.1:0" is not loopback`},
		{"no target", Config{}, `target address "": missing port`},
		{"remote target", Config{Target: "10.0.0.1:80"}, `target address "10.0.0.1:80" is not loopback`},
		{"target by name", Config{Target: "example.com:80"}, `target address "example.com:80" is not loopback`},
		{"target without port", Config{Target: "127.0.0.1"}, `target address "127.0.0.1"`},
		{"negative dial timeout", Config{Target: target, DialTimeout: -time.Second}, "dial timeout is -1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Start(testContext(t), tt.cfg)
			if err == nil {
				_ = p.Close()
				t.Fatalf("Start(%+v) = nil error, want one containing %q", tt.cfg, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Start(%+v) = %q, want it to contain %q", tt.cfg, err, tt.wantErr)
			}
		})
	}
}

func TestSetTargetRejectsNonLoopback(t *testing.T) {
	ctx := testContext(t)
	e := newEchoServer(t, "")
	p := startProxy(t, ctx, Config{Target: e.addr()})
	for _, addr := range []string{"10.1.2.3:80", "localhost:80", "[::]:80", "nonsense"} {
		if err := p.SetTarget(addr); err == nil {
			t.Errorf("SetTarget(%q) = nil, want an error", addr)
		}
	}
	if got := p.Target(); got != e.addr() {
		t.Errorf("Target() after rejected SetTarget = %q, want %q", got, e.addr())
	}
}
