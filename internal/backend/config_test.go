package backend

import (
	"testing"
	"time"
)

func TestNewRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{MaxAge: -time.Second}, "MaxAge is -1s, want a positive duration or 0 for the default 5m0s"},
		{Config{MaxEvents: -1}, "MaxEvents is -1, want a positive count or 0 for the default 65536"},
		{Config{MaxLag: -2}, "MaxLag is -2, want a positive count or 0 for MaxEvents"},
		{Config{MaxPayload: -3}, "MaxPayload is -3, want a positive byte count or 0 for the default 65536"},
	}
	for _, tt := range tests {
		s, err := New(tt.cfg)
		if err == nil {
			s.Close()
			t.Errorf("New(%+v) = nil error, want %q", tt.cfg, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("New(%+v) = %q, want %q", tt.cfg, err, tt.want)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	type limits struct {
		maxAge                        time.Duration
		maxEvents, maxLag, maxPayload int
	}
	tests := []struct {
		cfg  Config
		want limits
	}{
		{Config{}, limits{5 * time.Minute, 65536, 65536, 64 << 10}},
		{Config{MaxEvents: 10}, limits{5 * time.Minute, 10, 10, 64 << 10}},
		{Config{MaxAge: time.Second, MaxEvents: 10, MaxLag: 3, MaxPayload: 7, Incarnation: 9}, limits{time.Second, 10, 3, 7}},
	}
	for _, tt := range tests {
		s, err := New(tt.cfg)
		if err != nil {
			t.Fatalf("New(%+v) = %v, want no error", tt.cfg, err)
		}
		got := limits{s.cfg.MaxAge, s.cfg.MaxEvents, s.cfg.MaxLag, s.cfg.MaxPayload}
		if got != tt.want {
			t.Errorf("New(%+v) limits = %+v, want %+v", tt.cfg, got, tt.want)
		}
		if s.cfg.Clock == nil || s.cfg.Meter == nil || s.cfg.Logger == nil {
			t.Errorf("New(%+v) left Now, Meter or Logger nil", tt.cfg)
		}
		if tt.cfg.Incarnation != 0 && s.Incarnation() != tt.cfg.Incarnation {
			t.Errorf("New(%+v).Incarnation() = %x, want %x", tt.cfg, s.Incarnation(), tt.cfg.Incarnation)
		}
		s.Close()
	}
}

func TestNewPicksRandomIncarnation(t *testing.T) {
	a, err := New(Config{})
	if err != nil {
		t.Fatalf("New() = %v, want no error", err)
	}
	defer a.Close()
	b, err := New(Config{})
	if err != nil {
		t.Fatalf("New() = %v, want no error", err)
	}
	defer b.Close()
	if a.Incarnation() == 0 || a.Incarnation() == b.Incarnation() {
		t.Errorf("New().Incarnation() = %x and %x, want two different non-zero values", a.Incarnation(), b.Incarnation())
	}
}
