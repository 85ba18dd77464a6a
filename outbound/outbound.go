// Package outbound is the one HTTP client for every request the server makes on a tenant
// admin's behalf: to the identity provider an admin configured (discovery, token, userinfo and
// key endpoints) and to any address an admin may enter later. Tenant admins are customers,
// not operators, so such a request must not reach the operator's own network:
//
//   - the URL must be https (http only to a loopback address, and only in development);
//   - the host name is resolved here and every address it resolves to is checked: loopback,
//     private, link-local (169.254.169.254 among them), multicast, unspecified, shared (CGNAT)
//     and every other special-purpose range is refused, IPv4-mapped IPv6 included;
//   - the connection is made to the very address that was checked, so a second DNS answer
//     cannot slip in between the check and the dial;
//   - each redirect is a new request under the same rules, and there are at most a few;
//   - the whole exchange has a time limit, and a response body a size limit.
//
// An operator whose identity provider lives inside their own network allows its host name or
// addresses (OUTLAY_OUTBOUND_ALLOW).
package outbound

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"outlay/config"
)

// Defaults of a client.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxBody      = 1 << 20
	DefaultMaxRedirects = 5
)

// Options shape a client.
type Options struct {
	Timeout      time.Duration // the whole request, redirects and body included
	MaxBody      int64         // largest response body read
	MaxRedirects int
	// AllowLoopback, for development against a provider on the same machine, lets requests
	// reach loopback addresses, over http as well as https.
	AllowLoopback bool
	// AllowHosts and AllowNets are what the operator allows although it is internal: host
	// names (exactly, whatever they resolve to) and address ranges.
	AllowHosts []string
	AllowNets  []netip.Prefix
	// RootCAs replaces the system's certificate authorities (tests).
	RootCAs *x509.CertPool

	lookup func(ctx context.Context, host string) ([]netip.Addr, error) // tests replace DNS
}

// RefusedError is a request the rules refused before anything was sent. Its text is for the
// log: it names the host and why, which the person who caused it must not be shown.
type RefusedError struct {
	Host   string
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("outbound request to %q refused: %s", e.Host, e.Reason)
}

// ErrTooLarge is returned while reading a response body longer than the client's limit.
var ErrTooLarge = errors.New("outbound response body exceeds its size limit")

// rules decide what may be reached.
type rules struct {
	allowLoopback bool
	hosts         map[string]bool
	nets          []netip.Prefix
	lookup        func(ctx context.Context, host string) ([]netip.Addr, error)
}

// transport checks each request's URL, dials only checked addresses, and caps bodies.
type transport struct {
	rules   *rules
	base    *http.Transport
	maxBody int64
}

// New returns a client that follows the rules above.
func New(o Options) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	r := &rules{allowLoopback: o.AllowLoopback, hosts: map[string]bool{}, nets: o.AllowNets, lookup: o.lookup}
	for _, h := range o.AllowHosts {
		r.hosts[canonicalHost(h)] = true
	}
	if r.lookup == nil {
		r.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	dialer := &net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}
	base := &http.Transport{
		Proxy: nil, // never a proxy from the environment: it would be dialed instead of the checked address
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return r.dial(ctx, dialer, network, addr)
		},
		TLSClientConfig:        &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    o.Timeout,
		ResponseHeaderTimeout:  o.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
	}
	max := o.MaxRedirects
	return &http.Client{
		Transport: &transport{rules: r, base: base, maxBody: o.MaxBody},
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > max {
				return &RefusedError{Host: req.URL.Host, Reason: fmt.Sprintf("more than %d redirects", max)}
			}
			return nil // the redirect's URL and address are checked like any request's
		},
	}
}

// ForConfig is the client of a process configured by cfg.
func ForConfig(cfg *config.Config) *http.Client {
	return New(Options{Timeout: cfg.SSOTimeout, AllowLoopback: cfg.SSOAllowHTTPIssuers,
		AllowHosts: cfg.OutboundAllowHosts, AllowNets: cfg.OutboundAllowNets, RootCAs: cfg.OutboundRootCAs})
}

// Check applies hc's rules to rawURL without sending anything: its scheme, and every address
// its host resolves to now. It is for URLs a document names, so that a bad one is refused
// when the document is read, not only when the URL is used. hc must come from New.
func Check(ctx context.Context, hc *http.Client, rawURL string) error {
	t, ok := hc.Transport.(*transport)
	if !ok {
		return errors.New("outbound: the client does not enforce the outbound rules")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return &RefusedError{Host: rawURL, Reason: "not a URL"}
	}
	if err := t.rules.checkURL(u); err != nil {
		return err
	}
	_, err = t.rules.resolve(ctx, u.Hostname())
	return err
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.rules.checkURL(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	res, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if res.ContentLength > t.maxBody {
		res.Body.Close()
		return nil, ErrTooLarge
	}
	res.Body = &cappedBody{rc: res.Body, left: t.maxBody}
	return res, nil
}

// checkURL refuses a scheme other than https (http only to loopback in development) and
// URLs without a host.
func (r *rules) checkURL(u *url.URL) error {
	host := u.Hostname()
	switch {
	case host == "":
		return &RefusedError{Host: u.Host, Reason: "no host"}
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && r.allowLoopback && loopbackName(host):
		return nil
	}
	return &RefusedError{Host: u.Host, Reason: "scheme " + u.Scheme + " (https is required)"}
}

// loopbackName reports whether host names this machine literally.
func loopbackName(host string) bool {
	if canonicalHost(host) == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

func canonicalHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// resolve returns the addresses host stands for, refusing all if any one is refused.
func (r *rules) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		if addrs, err = r.lookup(ctx, host); err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, &RefusedError{Host: host, Reason: "no address"}
		}
	}
	for i, a := range addrs {
		a = a.Unmap()
		if why := r.refusal(host, a); why != "" {
			return nil, &RefusedError{Host: host, Reason: a.String() + " is " + why}
		}
		addrs[i] = a
	}
	return addrs, nil
}

// dial connects to one of the checked addresses of addr's host.
func (r *rules) dial(ctx context.Context, d *net.Dialer, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := r.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, a := range addrs {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// refusal says why a, an address of host, may not be reached, or "" when it may.
func (r *rules) refusal(host string, a netip.Addr) string {
	switch {
	case a.Zone() != "":
		return "scoped to an interface"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsMulticast():
		return "multicast"
	case canonicalHost(host) == "localhost" && !a.IsLoopback():
		return "not loopback, though the name is localhost"
	case r.hosts[canonicalHost(host)]:
		return ""
	}
	for _, p := range r.nets {
		if p.Contains(a) {
			return ""
		}
	}
	if a.IsLoopback() && r.allowLoopback {
		return ""
	}
	return Special(a)
}

// special are the address ranges no request on a tenant's behalf may reach, with what they
// are: IANA's special-purpose registries, less the globally reachable anycast ones.
var special = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "this network"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (cloud metadata)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible"},
	{netip.MustParsePrefix("::ffff:0:0/96"), "IPv4-mapped"},
	{netip.MustParsePrefix("::ffff:0:0:0/96"), "IPv4-translated"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64 (local use)"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("2001::/23"), "IETF protocol assignments (Teredo among them)"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2002::/16"), "6to4"},
	{netip.MustParsePrefix("3fff::/20"), "documentation"},
	{netip.MustParsePrefix("5f00::/16"), "segment routing"},
	{netip.MustParsePrefix("fc00::/7"), "private (unique local)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// Special says which special-purpose range a belongs to, or "" for an ordinary public
// address. IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
func Special(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "not an address"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "link-local"
	case a.IsMulticast():
		return "multicast"
	}
	for _, s := range special {
		if s.prefix.Contains(a) {
			return s.what
		}
	}
	if !a.IsGlobalUnicast() {
		return "not global unicast"
	}
	return ""
}

// cappedBody fails a read past its limit instead of cutting the body short unnoticed.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body at the limit from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
