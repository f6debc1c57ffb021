package loadgen

import (
	"fmt"
	"net/netip"
	"strings"
)

// MaxSourceAddrs caps how many addresses ParseSourceAddrs expands to; each
// gives about 28,000 ephemeral ports, so this is far more than any run
// needs and keeps a typo like 127.0.0.0/8 from expanding to 16 million.
const MaxSourceAddrs = 1 << 16

// ParseSourceAddrs parses a comma-separated list of loopback addresses for
// Config.SourceAddrs. Each item is an address (127.0.0.2), an inclusive
// range (127.0.0.1-127.0.0.16) or a prefix (127.0.0.0/28; for prefixes of
// /30 and wider the all-zeros and all-ones host addresses are left out, as
// they are not usable as hosts). Duplicates are dropped, order is kept. An
// empty string yields no addresses.
func ParseSourceAddrs(s string) ([]netip.Addr, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []netip.Addr
	seen := make(map[netip.Addr]bool)
	add := func(a netip.Addr) error {
		if seen[a] {
			return nil
		}
		if len(out) == MaxSourceAddrs {
			return fmt.Errorf("source addresses %q: more than %d addresses", s, MaxSourceAddrs)
		}
		seen[a] = true
		out = append(out, a)
		return nil
	}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("source addresses %q: empty item; want a comma-separated list of addresses, ranges (127.0.0.1-127.0.0.16) or prefixes (127.0.0.0/28)", s)
		}
		var err error
		switch {
		case strings.Contains(item, "/"):
			err = expandPrefix(item, add)
		case strings.Contains(item, "-"):
			err = expandRange(item, add)
		default:
			var a netip.Addr
			if a, err = parseLoopback(item); err == nil {
				err = add(a)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func parseLoopback(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("source address %q: not an IP address", s)
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("source address %q: zones are not accepted", s)
	}
	a = a.Unmap()
	if !a.IsLoopback() {
		return netip.Addr{}, fmt.Errorf("source address %q: not a loopback address; want 127.0.0.0/8 or ::1", s)
	}
	return a, nil
}

func expandRange(item string, add func(netip.Addr) error) error {
	lo, hi, ok := strings.Cut(item, "-")
	if !ok || strings.Contains(hi, "-") {
		return fmt.Errorf("source range %q: want FIRST-LAST, e.g. 127.0.0.1-127.0.0.16", item)
	}
	first, err := parseLoopback(strings.TrimSpace(lo))
	if err != nil {
		return fmt.Errorf("source range %q: %w", item, err)
	}
	last, err := parseLoopback(strings.TrimSpace(hi))
	if err != nil {
		return fmt.Errorf("source range %q: %w", item, err)
	}
	if first.BitLen() != last.BitLen() {
		return fmt.Errorf("source range %q: both ends must be IPv4 or both IPv6", item)
	}
	if last.Less(first) {
		return fmt.Errorf("source range %q: last address is before the first", item)
	}
	for a := first; ; a = a.Next() {
		if err := add(a); err != nil {
			return err
		}
		if a == last {
			return nil
		}
	}
}

func expandPrefix(item string, add func(netip.Addr) error) error {
	p, err := netip.ParsePrefix(item)
	if err != nil {
		return fmt.Errorf("source prefix %q: want ADDR/BITS, e.g. 127.0.0.0/28", item)
	}
	if p.Addr().Zone() != "" || p.Addr().Is4In6() {
		return fmt.Errorf("source prefix %q: want a plain IPv4 or IPv6 prefix, e.g. 127.0.0.0/28", item)
	}
	p = p.Masked()
	hostBits := p.Addr().BitLen() - p.Bits()
	if hostBits > 16 {
		return fmt.Errorf("source prefix %q: more than %d addresses", item, MaxSourceAddrs)
	}
	first := p.Addr()
	if !first.IsLoopback() {
		return fmt.Errorf("source prefix %q: not a loopback prefix; want one inside 127.0.0.0/8 or ::1/128", item)
	}
	n := 1 << hostBits
	skipEnds := hostBits >= 2
	a := first
	for i := range n {
		if !a.IsLoopback() {
			return fmt.Errorf("source prefix %q: not a loopback prefix; want one inside 127.0.0.0/8 or ::1/128", item)
		}
		if !skipEnds || (i != 0 && i != n-1) {
			if err := add(a); err != nil {
				return err
			}
		}
		a = a.Next()
	}
	return nil
}
