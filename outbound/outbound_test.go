package outbound

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"outlay/internal/tlstest"
)

func TestSpecialAddressesAreRefused(t *testing.T) {
	for _, a := range []string{
		"127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.254", "0.0.0.0", "0.1.2.3",
		"224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "192.0.0.8", "192.0.2.10",
		"198.18.0.1", "198.51.100.7", "203.0.113.9",
		"::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "fec0::1",
		"::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::127.0.0.1",
		"64:ff9b::a00:1", "64:ff9b:1::1", "2002:a00:1::1", "2001::1", "2001:db8::1", "100::1",
	} {
		if Special(netip.MustParseAddr(a)) == "" {
			t.Errorf("%s is not refused", a)
		}
	}
	for _, a := range []string{"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2a00:1450:4001::200e"} {
		if why := Special(netip.MustParseAddr(a)); why != "" {
			t.Errorf("%s is refused as %s", a, why)
		}
	}
}

var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })

func refused(t *testing.T, err error) {
	t.Helper()
	var r *RefusedError
	if !errors.As(err, &r) {
		t.Fatalf("not refused by the rules: %v", err)
	}
}

func get(hc *http.Client, url string) (string, error) {
	res, err := hc.Get(url)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

func TestLoopbackIsRefusedUnlessAllowed(t *testing.T) {
	s := tlstest.Start(t, "127.0.0.1:0", hello)
	hc := New(Options{RootCAs: s.RootCAs()})
	_, err := get(hc, s.URL)
	refused(t, err)
	// By name too: the name is resolved and its address checked.
	_, err = get(hc, "https://localhost:"+s.Port())
	refused(t, err)
	if n := s.Conns(); n != 0 {
		t.Fatalf("the server accepted %d connections", n)
	}
	// The operator's allow setting lets the same request through.
	allowed := New(Options{RootCAs: s.RootCAs(), AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	if body, err := get(allowed, s.URL); err != nil || body != "hello" {
		t.Fatalf("allowed: %q %v", body, err)
	}
	// So does the development setting.
	dev := New(Options{RootCAs: s.RootCAs(), AllowLoopback: true})
	if body, err := get(dev, s.URL); err != nil || body != "hello" {
		t.Fatalf("development: %q %v", body, err)
	}
}

// An allowed host name may resolve to an internal address; another name resolving to the
// same address may not.
func TestAllowedHostName(t *testing.T) {
	s := tlstest.Start(t, "127.0.0.1:0", hello)
	lookup := func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	hc := New(Options{RootCAs: s.RootCAs(), AllowHosts: []string{"IdP.Example.com."}, lookup: lookup})
	if body, err := get(hc, "https://idp.example.com:"+s.Port()); err != nil || body != "hello" {
		t.Fatalf("allowed host: %q %v", body, err)
	}
	_, err := get(hc, "https://other.example.com:"+s.Port())
	refused(t, err)
}

func TestHTTPOnlyToLoopbackInDevelopment(t *testing.T) {
	plain := httptest.NewServer(hello)
	defer plain.Close()
	_, err := get(New(Options{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}), plain.URL)
	refused(t, err) // allowed address, but not https
	if body, err := get(New(Options{AllowLoopback: true}), plain.URL); err != nil || body != "hello" {
		t.Fatalf("development http: %q %v", body, err)
	}
	lookup := func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	_, err = get(New(Options{AllowLoopback: true, lookup: lookup}), "http://idp.example.com:"+strings.TrimPrefix(plain.URL, "http://127.0.0.1:"))
	refused(t, err) // http to a name that is not literally this machine
	for _, u := range []string{"ftp://example.com/", "file:///etc/passwd", "gopher://127.0.0.1/"} {
		_, err := get(New(Options{AllowLoopback: true}), u)
		refused(t, err)
	}
}

// The address that is dialed is the one that was checked: a name that answers with an
// allowed address and then a refused one reaches only the allowed one.
func TestDialsTheCheckedAddress(t *testing.T) {
	good := tlstest.Start(t, "127.0.0.1:0", hello)
	bad := tlstest.Start(t, "127.0.0.2:"+good.Port(), hello)
	var mu sync.Mutex
	answers := []string{"127.0.0.1", "127.0.0.2"}
	lookups := 0
	lookup := func(context.Context, string) ([]netip.Addr, error) {
		mu.Lock()
		defer mu.Unlock()
		a := answers[lookups%len(answers)]
		lookups++
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	hc := New(Options{RootCAs: good.RootCAs(), AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, lookup: lookup})
	// Each request on a connection of its own, so that each one dials.
	fresh := func() error {
		req, _ := http.NewRequest(http.MethodGet, "https://example.com:"+good.Port(), nil)
		req.Close = true
		res, err := hc.Do(req)
		if err == nil {
			res.Body.Close()
		}
		return err
	}
	if err := fresh(); err != nil {
		t.Fatalf("first: %v", err)
	}
	err := fresh()
	refused(t, err)
	if lookups != 2 || good.Conns() != 1 || bad.Conns() != 0 {
		t.Fatalf("%d lookups, %d connections to the checked address, %d to the other", lookups, good.Conns(), bad.Conns())
	}
	// A name with one refused address among its answers is refused outright.
	mixed := func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("169.254.169.254")}, nil
	}
	_, err = get(New(Options{RootCAs: good.RootCAs(), AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, lookup: mixed}), "https://example.com:"+good.Port())
	refused(t, err)
	if good.Conns() != 1 {
		t.Error("a name with a refused address was dialed")
	}
}

func TestRedirectsAreChecked(t *testing.T) {
	inside := tlstest.Start(t, "127.0.0.2:0", hello)
	var hops atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/inside", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://127.0.0.2:"+inside.Port()+"/", http.StatusFound)
	})
	mux.HandleFunc("/metadata", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://169.254.169.254/latest/meta-data/", http.StatusFound)
	})
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:1/", http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		hops.Add(1)
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/hello", http.StatusFound) })
	mux.Handle("/hello", hello)
	outside := tlstest.Start(t, "127.0.0.1:0", mux)
	hc := New(Options{RootCAs: outside.RootCAs(), AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})

	if body, err := get(hc, outside.URL+"/ok"); err != nil || body != "hello" {
		t.Fatalf("allowed redirect: %q %v", body, err)
	}
	for _, path := range []string{"/inside", "/metadata", "/plain", "/loop"} {
		_, err := get(hc, outside.URL+path)
		refused(t, err)
	}
	if inside.Conns() != 0 {
		t.Error("a redirect reached a refused address")
	}
	if n := hops.Load(); n != DefaultMaxRedirects+1 {
		t.Errorf("%d requests in a redirect loop, want %d", n, DefaultMaxRedirects+1)
	}
}

func TestResponsesAreCapped(t *testing.T) {
	big := strings.Repeat("x", 2048)
	mux := http.NewServeMux()
	mux.HandleFunc("/sized", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) })
	mux.HandleFunc("/streamed", func(w http.ResponseWriter, r *http.Request) {
		for range 4 {
			io.WriteString(w, big[:512])
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big[:1024]) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	s := tlstest.Start(t, "127.0.0.1:0", mux)
	hc := New(Options{RootCAs: s.RootCAs(), AllowLoopback: true, MaxBody: 1024, Timeout: 500 * time.Millisecond})
	for _, path := range []string{"/sized", "/streamed"} {
		if _, err := get(hc, s.URL+path); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v, want ErrTooLarge", path, err)
		}
	}
	if body, err := get(hc, s.URL+"/exact"); err != nil || len(body) != 1024 {
		t.Errorf("a body at the limit: %d bytes, %v", len(body), err)
	}
	var ne net.Error
	if _, err := get(hc, s.URL+"/slow"); !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("slow: %v, want a timeout", err)
	}
	if New(Options{}).Timeout != 10*time.Second {
		t.Error("the default time limit is not 10 s")
	}
}

// Check refuses a URL a document names without sending anything.
func TestCheck(t *testing.T) {
	s := tlstest.Start(t, "127.0.0.1:0", hello)
	hc := New(Options{RootCAs: s.RootCAs()})
	ctx := context.Background()
	for _, u := range []string{s.URL + "/token", "https://localhost/x", "https://169.254.169.254/", "https://[::ffff:10.0.0.1]/", "http://example.com/", "::"} {
		refused(t, Check(ctx, hc, u))
	}
	if s.Conns() != 0 {
		t.Error("Check connected")
	}
	allowed := New(Options{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	if err := Check(ctx, allowed, s.URL+"/token"); err != nil {
		t.Errorf("allowed: %v", err)
	}
	if err := Check(ctx, allowed, "https://8.8.8.8/"); err != nil {
		t.Errorf("public: %v", err)
	}
	if err := Check(ctx, http.DefaultClient, "https://8.8.8.8/"); err == nil {
		t.Error("Check accepted a client that does not enforce the rules")
	}
}
