package auth

import "net/netip"

// ClientBlock is the block of addresses a throttle counts a client by: an IPv4 address alone
// (or an IPv4 address written as IPv6), an IPv6 address by its /64 network. A /64 is the
// smallest block a site or a host is given, and whoever holds one can send from any of its
// 2^64 addresses, so counting IPv6 addresses one by one throttles no one.
func ClientBlock(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.WithZone("").Prefix(64)
	return p
}

// ClientKey is ClientBlock of an address as text ("203.0.113.9", "2001:db8:1:2::/64"); text
// that is not an address is its own key.
func ClientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	b := ClientBlock(a)
	if b.Addr().Is4() {
		return b.Addr().String()
	}
	return b.String()
}
