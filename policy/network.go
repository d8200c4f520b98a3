package policy

import "net/netip"

// Networks is a list of address ranges (trusted proxies, and later
// network rules on routes).
type Networks []netip.Prefix

// ParseNetworks reads CIDRs such as 10.0.0.0/8 or ::1/128.
func ParseNetworks(cidrs []string) (Networks, error) {
	var out Networks
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Contains reports whether addr is in one of the ranges (an IPv4 address
// mapped into IPv6 counts as IPv4).
func (n Networks) Contains(addr netip.Addr) bool {
	// A zone (fe80::1%eth0) names the interface, not another address:
	// netip never matches a zoned address, which would let one pass every
	// deny list.
	addr = addr.WithZone("").Unmap()
	for _, p := range n {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ContainsIP is Contains for an address in text; text that is no address
// is in no range.
func (n Networks) ContainsIP(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	return err == nil && n.Contains(addr)
}
