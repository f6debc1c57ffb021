package subscribe

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	def := DefaultBackoff()
	const justBelowOne = 1 - 1e-12
	tests := []struct {
		name    string
		cfg     BackoffConfig
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
		{"multiplier 1 is constant", BackoffConfig{Base: time.Second, Multiplier: 1, Max: time.Minute}, 40, 0.9, time.Second},
		{"multiplier 1.6 grows", BackoffConfig{Base: time.Second, Multiplier: 1.6, Max: time.Minute}, 2, 0.3, 2560 * time.Millisecond},
		{"no jitter ignores r", BackoffConfig{Base: 10 * time.Millisecond, Multiplier: 3, Max: time.Second}, 2, 0.99, 90 * time.Millisecond},
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

// TestBackoffDelayJitterBounds checks over many random draws that each delay
// stays within ±20 % of the doubling, capped schedule, and that the draws
// really spread it rather than sitting at the centre.
func TestBackoffDelayJitterBounds(t *testing.T) {
	cfg := DefaultBackoff()
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

func TestBackoffValidate(t *testing.T) {
	valid := DefaultBackoff()
	with := func(f func(*BackoffConfig)) BackoffConfig {
		c := valid
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		cfg     BackoffConfig
		wantErr string // "" for valid
	}{
		{"default", valid, ""},
		{"max equal to base", with(func(c *BackoffConfig) { c.Max = c.Base }), ""},
		{"multiplier 1", with(func(c *BackoffConfig) { c.Multiplier = 1 }), ""},
		{"jitter 0", with(func(c *BackoffConfig) { c.Jitter = 0 }), ""},
		{"zero base", with(func(c *BackoffConfig) { c.Base = 0 }), "backoff base"},
		{"negative base", with(func(c *BackoffConfig) { c.Base = -time.Second }), "backoff base"},
		{"max below base", with(func(c *BackoffConfig) { c.Max = c.Base / 2 }), "backoff max"},
		{"multiplier below 1", with(func(c *BackoffConfig) { c.Multiplier = 0.5 }), "backoff multiplier"},
		{"multiplier NaN", with(func(c *BackoffConfig) { c.Multiplier = math.NaN() }), "backoff multiplier"},
		{"multiplier Inf", with(func(c *BackoffConfig) { c.Multiplier = math.Inf(1) }), "backoff multiplier"},
		{"negative jitter", with(func(c *BackoffConfig) { c.Jitter = -0.1 }), "backoff jitter"},
		{"jitter 1", with(func(c *BackoffConfig) { c.Jitter = 1 }), "backoff jitter"},
		{"jitter NaN", with(func(c *BackoffConfig) { c.Jitter = math.NaN() }), "backoff jitter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("%+v.Validate() = %v, want nil", tt.cfg, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%+v.Validate() = %v, want an error naming %q", tt.cfg, err, tt.wantErr)
			}
		})
	}
}
