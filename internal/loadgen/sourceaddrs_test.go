package loadgen

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestParseSourceAddrs(t *testing.T) {
	tests := []struct {
		in      string
		want    []netip.Addr
		wantErr string
	}{
		{"", nil, ""},
		{"  ", nil, ""},
		{"127.0.0.2", addrs("127.0.0.2"), ""},
		{"127.0.0.2, 127.0.0.3 ,127.0.0.2", addrs("127.0.0.2", "127.0.0.3"), ""},
		{"127.0.0.1-127.0.0.4", addrs("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"), ""},
		{"127.0.0.9 - 127.0.0.9", addrs("127.0.0.9"), ""},
		{"127.0.0.254-127.0.1.1", addrs("127.0.0.254", "127.0.0.255", "127.0.1.0", "127.0.1.1"), ""},
		{"127.0.0.0/30", addrs("127.0.0.1", "127.0.0.2"), ""},
		{"127.0.0.4/31", addrs("127.0.0.4", "127.0.0.5"), ""},
		{"127.0.0.7/32", addrs("127.0.0.7"), ""},
		{"127.0.0.5/28", addrs("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7",
			"127.0.0.8", "127.0.0.9", "127.0.0.10", "127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14"), ""},
		{"::1", addrs("::1"), ""},
		{"::ffff:127.0.0.3", addrs("127.0.0.3"), ""},
		{"10.0.0.1", nil, "not a loopback address"},
		{"127.0.0.1,192.168.1.1", nil, "not a loopback address"},
		{"127.0.0.1,", nil, "empty item"},
		{"localhost", nil, "not an IP address"},
		{"127.0.0.300", nil, "not an IP address"},
		{"127.0.0.4-127.0.0.1", nil, "last address is before the first"},
		{"127.0.0.1-::1", nil, "both ends must be IPv4 or both IPv6"},
		{"127.0.0.1-127.0.0.2-127.0.0.3", nil, "want FIRST-LAST"},
		{"127.0.0.1-10.0.0.1", nil, "not a loopback address"},
		{"127.0.0.0/8", nil, "more than 65536 addresses"},
		{"10.0.0.0/30", nil, "not a loopback prefix"},
		{"127.0.0.0/33", nil, "want ADDR/BITS"},
		{"::/127", nil, "not a loopback prefix"},
		{"127.0.0.0-127.1.0.0", nil, "more than 65536 addresses"},
		{"fe80::1%eth0", nil, "zones are not accepted"},
	}
	for _, tt := range tests {
		got, err := ParseSourceAddrs(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSourceAddrs(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseSourceAddrs(%q) = %v, %v, want %v, nil", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseSourceAddrs(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "127.0.0.1-127.0.0.16", "127.0.0.0/28", "::1", "127.0.0.2,127.0.0.3", "10.0.0.1", "a-b", "/", "-", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseSourceAddrs(s)
		if err != nil {
			if got != nil {
				t.Errorf("ParseSourceAddrs(%q) = %v with error %v, want nil addresses", s, got, err)
			}
			return
		}
		if len(got) > MaxSourceAddrs {
			t.Errorf("ParseSourceAddrs(%q) gave %d addresses, want at most %d", s, len(got), MaxSourceAddrs)
		}
		seen := map[netip.Addr]bool{}
		for _, a := range got {
			if !a.IsValid() || !a.IsLoopback() || a.Zone() != "" || a.Is4In6() {
				t.Errorf("ParseSourceAddrs(%q) gave %v, want plain loopback addresses only", s, a)
			}
			if seen[a] {
				t.Errorf("ParseSourceAddrs(%q) gave %v twice", s, a)
			}
			seen[a] = true
			// Every address is valid for Config.
			if err := (Config{Addr: "127.0.0.1:1", Clients: 1, SourceAddrs: []netip.Addr{a}}).Validate(); err != nil {
				t.Errorf("Config with source %v: %v, want valid", a, err)
			}
		}
		// What it prints, it parses back to the same list.
		strs := make([]string, len(got))
		for i, a := range got {
			strs[i] = a.String()
		}
		again, err := ParseSourceAddrs(strings.Join(strs, ","))
		if err != nil || !slices.Equal(again, got) {
			t.Errorf("ParseSourceAddrs(join(ParseSourceAddrs(%q))) = %v, %v, want %v", s, again, err, got)
		}
	})
}
