package backoff

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// gatewayDefault is the subscriber's default, which these cases were
// written against: 250ms doubling to 30s, ±20 %.
var gatewayDefault = Config{Base: 250 * time.Millisecond, Multiplier: 2, Jitter: 0.2, Max: 30 * time.Second}

func TestDelay(t *testing.T) {
	def := gatewayDefault
	const justBelowOne = 1 - 1e-12
	tests := []struct {
		name    string
		cfg     Config
		attempt int
		r       float64
		want    time.Duration
	}{
		{"attempt 0 centre", def, 0, 0.5, 250 * time.Millisecond},
		{"attempt 1 centre", def, 1, 0.5, 500 * time.Millisecond},
		{"attempt 2 centre", def, 2, 0.5, time.Second},
		{"attempt 3 centre", def, 3, 0.5, 2 * time.Second},
		{"attempt 6 centre", def, 6, 0.5, 16 * time.Second},
		{"attempt 7 capped", def, 7, 0.5, 30 * time.Second},
		{"attempt 50 capped", def, 50, 0.5, 30 * time.Second},
		{"attempt 5000 capped without overflow", def, 5000, 0.5, 30 * time.Second},
		{"attempt MaxInt capped", def, math.MaxInt, 0.5, 30 * time.Second},
		{"negative attempt counts as 0", def, -3, 0.5, 250 * time.Millisecond},
		{"r 0 is -20%", def, 0, 0, 200 * time.Millisecond},
		{"r near 1 is +20%", def, 0, justBelowOne, 300 * time.Millisecond},
		{"r 0.75 is +10%", def, 2, 0.75, 1100 * time.Millisecond},
		{"cap then -20%", def, 9, 0, 24 * time.Second},
		{"cap then +20%", def, 9, justBelowOne, 36 * time.Second},
		{"r above 1 clamped", def, 0, 7, 300 * time.Millisecond},
		{"r below 0 clamped", def, 0, -7, 200 * time.Millisecond},
		{"r NaN clamped to 0", def, 0, math.NaN(), 200 * time.Millisecond},
		{"multiplier 1 is constant", Config{Base: time.Second, Multiplier: 1, Max: time.Minute}, 40, 0.9, time.Second},
		{"multiplier 1.6 grows", Config{Base: time.Second, Multiplier: 1.6, Max: time.Minute}, 2, 0.3, 2560 * time.Millisecond},
		{"no jitter ignores r", Config{Base: 10 * time.Millisecond, Multiplier: 3, Max: time.Second}, 2, 0.99, 90 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cfg.Delay(tt.attempt, tt.r)
			// Float rounding may land a nanosecond off.
			if diff := got - tt.want; diff < -time.Microsecond || diff > time.Microsecond {
				t.Errorf("%+v.Delay(%d, %v) = %v, want %v", tt.cfg, tt.attempt, tt.r, got, tt.want)
			}
		})
	}
}

// TestDelayJitterBounds checks over many random draws that each delay
// stays within ±20 % of the doubling, capped schedule, and that the draws
// really spread it rather than sitting at the centre.
func TestDelayJitterBounds(t *testing.T) {
	cfg := gatewayDefault
	rng := rand.New(rand.NewPCG(1, 2))
	for attempt := range 12 {
		centre := min(cfg.Base<<attempt, cfg.Max)
		lo := time.Duration(float64(centre) * 0.8)
		hi := time.Duration(float64(centre) * 1.2)
		minSeen, maxSeen := time.Duration(math.MaxInt64), time.Duration(0)
		for range 2000 {
			r := rng.Float64()
			d := cfg.Delay(attempt, r)
			if d < lo || d > hi {
				t.Fatalf("Delay(%d, %v) = %v, want within [%v, %v]", attempt, r, d, lo, hi)
			}
			minSeen, maxSeen = min(minSeen, d), max(maxSeen, d)
		}
		if spread := float64(maxSeen-minSeen) / float64(centre); spread < 0.35 {
			t.Errorf("Delay(%d, r) over 2000 draws spans %v..%v (%.2f of %v), want about 0.4", attempt, minSeen, maxSeen, spread, centre)
		}
	}
}

func TestValidate(t *testing.T) {
	valid := gatewayDefault
	with := func(f func(*Config)) Config {
		c := valid
		f(&c)
		return c
	}
	tests := []struct {
		name      string
		cfg       Config
		wantField string // "" for valid
	}{
		{"default", valid, ""},
		{"max equal to base", with(func(c *Config) { c.Max = c.Base }), ""},
		{"multiplier 1", with(func(c *Config) { c.Multiplier = 1 }), ""},
		{"jitter 0", with(func(c *Config) { c.Jitter = 0 }), ""},
		{"zero base", with(func(c *Config) { c.Base = 0 }), "Base"},
		{"negative base", with(func(c *Config) { c.Base = -time.Second }), "Base"},
		{"max below base", with(func(c *Config) { c.Max = c.Base / 2 }), "Max"},
		{"multiplier below 1", with(func(c *Config) { c.Multiplier = 0.5 }), "Multiplier"},
		{"multiplier NaN", with(func(c *Config) { c.Multiplier = math.NaN() }), "Multiplier"},
		{"multiplier Inf", with(func(c *Config) { c.Multiplier = math.Inf(1) }), "Multiplier"},
		{"negative jitter", with(func(c *Config) { c.Jitter = -0.1 }), "Jitter"},
		{"jitter 1", with(func(c *Config) { c.Jitter = 1 }), "Jitter"},
		{"jitter NaN", with(func(c *Config) { c.Jitter = math.NaN() }), "Jitter"},
		{"zero value", Config{}, "Base"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Errorf("%+v.Validate() = %v, want nil", tt.cfg, err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.wantField {
				t.Fatalf("%+v.Validate() = %v, want a *ConfigError for %s", tt.cfg, err, tt.wantField)
			}
			if msg := err.Error(); !strings.Contains(msg, "backoff "+tt.wantField) || !strings.Contains(msg, ce.Accepted) {
				t.Errorf("%+v.Validate() = %q, want it to name backoff %s and say %q", tt.cfg, msg, tt.wantField, ce.Accepted)
			}
		})
	}
}

// TestLoadgenConnectBackoff checks that Config expresses loadgen's connect
// backoff, which counts retries from 1: its delay before retry n is
// Base × Multiplier^(n-1), capped at Max, jittered.
func TestLoadgenConnectBackoff(t *testing.T) {
	connect := Config{Base: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, Max: 5 * time.Second}
	if err := connect.Validate(); err != nil {
		t.Fatalf("%+v.Validate() = %v, want nil", connect, err)
	}
	for n, want := range map[int]time.Duration{
		1:  100 * time.Millisecond,
		2:  160 * time.Millisecond,
		3:  256 * time.Millisecond,
		9:  4294967296 * time.Nanosecond, // 100ms × 1.6^8
		10: 5 * time.Second,              // 100ms × 1.6^9 = 6.87s, capped
		11: 5 * time.Second,
	} {
		d := float64(connect.Base) * math.Pow(connect.Multiplier, float64(n-1))
		legacy := time.Duration(min(d, float64(connect.Max)))
		if got := connect.Delay(n-1, 0.5); got-want < -time.Microsecond || got-want > time.Microsecond || got-legacy < -time.Microsecond || got-legacy > time.Microsecond {
			t.Errorf("Delay(%d-1, 0.5) = %v, want %v (loadgen's formula: %v)", n, got, want, legacy)
		}
	}
}
