package handlers

import (
	"bytes"
	"net/http"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// What is believed of a request's origin:
//   - The peer is the address that opened the connection. It is a trusted proxy only when it
//     lies in OUTLAY_TRUSTED_PROXIES.
//   - Only a trusted peer's forwarded headers count. The client address is then the right-most
//     X-Forwarded-For entry that is not itself a trusted proxy (what the nearest untrusted hop
//     wrote), and only if it is an IP address; anything else means the peer.
//   - The tenant comes from the Host header alone: never X-Forwarded-Host, never the host of an
//     absolute-URI request line. A request with several Host headers is refused.
//   - A proxy's X-Request-Id is kept only from a trusted peer.

// proxies are the networks whose forwarded headers are believed.
type proxies []netip.Prefix

// parseProxies reads OUTLAY_TRUSTED_PROXIES entries (IPs or CIDRs; config has validated them).
func parseProxies(list []string) proxies {
	var out proxies
	for _, p := range list {
		if pfx, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pfx.Masked())
		} else if ip, err := netip.ParseAddr(p); err == nil {
			ip = ip.Unmap()
			out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
		}
	}
	return out
}

func (ps proxies) contain(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// identifyRequest works out, once and first, who sent the request: the peer, whether it is a
// trusted proxy, and the client's address.
func (s *Server) identifyRequest(c *fiber.Ctx) error {
	st := stateOf(c)
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	st.fromProxy = s.proxies.contain(peer)
	st.clientIP = peer.String()
	if st.fromProxy {
		st.clientIP = forwardedFor(c, s.proxies, peer).String()
	}
	return c.Next()
}

// forwardedFor is the right-most X-Forwarded-For address that is not a trusted proxy. Each
// proxy appends the address it saw, so everything left of that entry was written by the
// client and proves nothing. An entry that is not an IP address means the peer.
func forwardedFor(c *fiber.Ctx, ps proxies, peer netip.Addr) netip.Addr {
	var entries []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		entries = append(entries, strings.Split(string(v), ",")...)
	}
	client := peer
	for i := len(entries) - 1; i >= 0; i-- {
		ip, ok := parseForwardedIP(strings.TrimSpace(entries[i]))
		if !ok {
			return peer
		}
		client = ip
		if !ps.contain(ip) {
			break
		}
	}
	return client
}

// parseForwardedIP reads an address as proxies write it: 192.0.2.1, 2001:db8::1, and with a
// port 192.0.2.1:4711 or [2001:db8::1]:4711.
func parseForwardedIP(v string) (netip.Addr, bool) {
	if ip, err := netip.ParseAddr(v); err == nil && ip.Zone() == "" {
		return ip.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(v); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// clientIP is the address the request came from, as far as it can be believed.
func clientIP(c *fiber.Ctx) string {
	if ip := stateOf(c).clientIP; ip != "" {
		return ip
	}
	return c.Context().RemoteIP().String()
}

// requestHost is the request's Host header: the only thing that chooses the tenant.
func requestHost(c *fiber.Ctx) string { return string(c.Request().Header.Host()) }

// hostHeaders counts the request's Host header lines as they arrived.
func hostHeaders(c *fiber.Ctx) int {
	n := 0
	for _, line := range bytes.Split(c.Request().Header.RawHeaders(), []byte("\n")) {
		name, _, ok := bytes.Cut(line, []byte(":"))
		if ok && bytes.EqualFold(bytes.TrimSpace(name), []byte(fiber.HeaderHost)) {
			n++
		}
	}
	return n
}

// severalHostsMessage answers a request with more than one Host header.
const severalHostsMessage = "The request names more than one host."

// notTextQueryMessage answers an address whose query string is not text.
const notTextQueryMessage = "The address contains characters that are not text (such as a NUL byte, a control character or broken UTF-8). Check the link and try again."

// wellFormed refuses, before any handler runs, a request with several Host headers (which
// one would choose the tenant is anyone's guess), and a query string whose names or values are
// not valid UTF-8 or hold control characters: no page asks for them, Postgres would refuse
// them, and a person never types them.
func (s *Server) wellFormed(c *fiber.Ctx) error {
	if hostHeaders(c) > 1 {
		return fiber.NewError(http.StatusBadRequest, severalHostsMessage)
	}
	bad := false
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		if !bad && (!isText(k) || !isText(v)) {
			bad = true
		}
	})
	if bad {
		return fiber.NewError(http.StatusBadRequest, notTextQueryMessage)
	}
	return c.Next()
}

// isText reports whether b is valid UTF-8 without control characters (C0, DEL or C1).
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return false
		}
	}
	return true
}
