package auth

import (
	"net/netip"
	"testing"
)

func TestClientKeyCountsIPv6ByItsSlash64(t *testing.T) {
	for ip, want := range map[string]string{
		"203.0.113.9":                 "203.0.113.9",
		"::ffff:203.0.113.9":          "203.0.113.9",
		"2001:db8:1:2:aaaa:bbbb:cc:d": "2001:db8:1:2::/64",
		"2001:db8:1:2::1":             "2001:db8:1:2::/64",
		"2001:db8:1:3::1":             "2001:db8:1:3::/64",
		"fe80::1%eth0":                "fe80::/64",
		"::1":                         "::/64",
		"":                            "",
		"not an address":              "not an address",
	} {
		if got := ClientKey(ip); got != want {
			t.Errorf("ClientKey(%q) = %q, want %q", ip, got, want)
		}
	}
	a, b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::ffff:1")
	if ClientBlock(a) != ClientBlock(b) {
		t.Errorf("two addresses of one /64 in different blocks: %v, %v", ClientBlock(a), ClientBlock(b))
	}
}
