package loadgen

import (
	"errors"
	"math"
	"net/netip"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/backoff"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{Addr: "127.0.0.1:7070", Clients: 1}
	tests := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"valid", func(*Config) {}, ""},
		{"no addr", func(c *Config) { c.Addr = "" }, "Addr"},
		{"addr without port", func(c *Config) { c.Addr = "127.0.0.1" }, "Addr"},
		{"addr port 0", func(c *Config) { c.Addr = "127.0.0.1:0" }, "Addr"},
		{"no clients", func(c *Config) { c.Clients = 0 }, "Clients"},
		{"negative streams per conn", func(c *Config) { c.StreamsPerConn = -1 }, "StreamsPerConn"},
		{"negative ramp", func(c *Config) { c.RampRate = -1 }, "RampRate"},
		{"NaN ramp", func(c *Config) { c.RampRate = math.NaN() }, "RampRate"},
		{"public source", func(c *Config) { c.SourceAddrs = []netip.Addr{netip.MustParseAddr("10.0.0.1")} }, "SourceAddrs"},
		{"zero source", func(c *Config) { c.SourceAddrs = []netip.Addr{{}} }, "SourceAddrs"},
		{"negative duration", func(c *Config) { c.Duration = -time.Second }, "Duration"},
		{"bad window", func(c *Config) { c.ClientWindow = "auto" }, "ClientWindow"},
		{"small static window", func(c *Config) { c.StaticWindow = 1024 }, "StaticWindow"},
		{"negative interval", func(c *Config) { c.ExpectedInterval = -1 }, "ExpectedInterval"},
		{"negative projection", func(c *Config) { c.ProjectInterval = -1 }, "ProjectInterval"},
		{"zero scale", func(c *Config) { c.Scales = []int{10, 0} }, "Scales"},
		{"metrics url scheme", func(c *Config) { c.ServerMetricsURL = "ftp://x/metrics" }, "ServerMetricsURL"},
		{"metrics url host", func(c *Config) { c.ServerMetricsURL = "http:///metrics" }, "ServerMetricsURL"},
		{"backoff jitter", func(c *Config) {
			c.ConnectBackoff = BackoffConfig{Config: backoff.Config{Base: 1, Multiplier: 2, Jitter: 1, Max: 2}, MaxAttempts: 1}
		}, "ConnectBackoff.Jitter"},
		{"backoff attempts", func(c *Config) {
			c.ConnectBackoff = BackoffConfig{Config: backoff.Config{Base: 1, Multiplier: 2, Max: 2}}
		}, "ConnectBackoff.MaxAttempts"},
		{"backoff max", func(c *Config) {
			c.ConnectBackoff = BackoffConfig{Config: backoff.Config{Base: 2, Multiplier: 2, Max: 1}, MaxAttempts: 1}
		}, "ConnectBackoff.Max"},
		{"negative parallel", func(c *Config) { c.ConnectParallel = -1 }, "ConnectParallel"},
		{"negative connect timeout", func(c *Config) { c.ConnectTimeout = -1 }, "ConnectTimeout"},
		{"negative snapshot period", func(c *Config) { c.SnapshotEvery = -1 }, "SnapshotEvery"},
	}
	for _, tt := range tests {
		c := ok
		tt.edit(&c)
		err := c.Validate()
		var ce *ConfigError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("Validate(%s) = %v, want nil", tt.name, err)
		case tt.field != "" && (!errors.As(err, &ce) || ce.Field != tt.field):
			t.Errorf("Validate(%s) = %v, want a ConfigError for %s", tt.name, err, tt.field)
		case ce != nil && (ce.Accepted == "" || err.Error() == ""):
			t.Errorf("Validate(%s) = %q, want it to say what is accepted", tt.name, err)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := Config{Addr: "127.0.0.1:7070", Clients: 10, Warmup: -1}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.StreamsPerConn != 1 || c.Warmup != 0 || c.Duration != DefaultDuration || c.ClientWindow != WindowDynamic ||
		c.ProjectInterval != 15*time.Second || len(c.Scales) != 3 || c.SnapshotEvery != 250*time.Millisecond ||
		c.ConnectBackoff != DefaultBackoff() || c.UserID(7) != "bench-7" || c.connections() != 10 {
		t.Errorf("withDefaults() = %+v, want documented defaults (warm-up -1 meaning none)", c)
	}
	c, _ = Config{Addr: "127.0.0.1:7070", Clients: 10, StreamsPerConn: 3}.withDefaults()
	if c.Warmup != DefaultWarmup || c.connections() != 4 {
		t.Errorf("withDefaults() warm-up %v connections %d, want %v 4", c.Warmup, c.connections(), DefaultWarmup)
	}
}

func TestConfigErrorMessage(t *testing.T) {
	err := Config{Addr: "127.0.0.1:7070"}.Validate()
	if got, want := err.Error(), "config field Clients: got 0, want a count of at least 1"; got != want {
		t.Errorf("Validate() = %q, want %q", got, want)
	}
}

func TestConstantPacer(t *testing.T) {
	tests := []struct {
		rate    float64
		elapsed time.Duration
		started int
		want    time.Duration
	}{
		{0, 0, 1000, 0},
		{10, 0, 0, 0},
		{10, 0, 1, 100 * time.Millisecond},
		{10, 50 * time.Millisecond, 1, 50 * time.Millisecond},
		{10, time.Second, 5, 0},
		{1000, 0, 1500, 1500 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := (ConstantPacer{Rate: tt.rate}).Pace(tt.elapsed, tt.started); got != tt.want {
			t.Errorf("ConstantPacer{%v}.Pace(%v, %d) = %v, want %v", tt.rate, tt.elapsed, tt.started, got, tt.want)
		}
	}
}
