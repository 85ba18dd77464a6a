package handlers

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"outlay/internal/poll"
)

// fakeListener hands out connections from the addresses it is given, one per Accept.
type fakeListener struct {
	net.Listener
	from chan string
}

func (l fakeListener) Accept() (net.Conn, error) {
	a := netip.MustParseAddr(<-l.from)
	server, client := net.Pipe()
	go func() { // read what a refused connection is told, so that its write ends
		buf := make([]byte, 512)
		for {
			if _, err := client.Read(buf); err != nil {
				return
			}
		}
	}()
	return addrConn{Conn: server, remote: &net.TCPAddr{IP: a.AsSlice(), Port: 40000}}, nil
}

type addrConn struct {
	net.Conn
	remote net.Addr
}

func (c addrConn) RemoteAddr() net.Addr { return c.remote }

// The connection limit counts an IPv6 client by its /64: a slow client cannot get round it by
// opening each connection from another of its addresses.
func TestConnectionLimitCountsIPv6ByItsSlash64(t *testing.T) {
	t.Parallel()
	from := make(chan string, 8)
	ln := LimitConnsPerIP(fakeListener{from: from}, 2, nil).(*perIPListener)
	accept := func(addr string) net.Conn {
		from <- addr
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first := accept("2001:db8:9:9::1")
	accept("2001:db8:9:9::2")
	// A third from the same /64 is refused: Accept skips it and returns the next one, from
	// another /64.
	from <- "2001:db8:9:9:ffff::3"
	next := accept("2001:db8:9:a::1")
	if got := next.RemoteAddr().String(); got != "[2001:db8:9:a::1]:40000" {
		t.Errorf("accepted %s, want the other /64's connection", got)
	}
	ln.mu.Lock()
	open := ln.open[netip.MustParsePrefix("2001:db8:9:9::/64")]
	ln.mu.Unlock()
	if open != 2 {
		t.Errorf("the /64 holds %d connections, want 2", open)
	}
	// Closing one lets the /64 open another.
	first.Close()
	if c := accept("2001:db8:9:9::4"); c.RemoteAddr().String() != "[2001:db8:9:9::4]:40000" {
		t.Errorf("after a close: accepted %s", c.RemoteAddr())
	}
}

// A connection over the limit is answered before its request is served: one for the JSON API
// gets the API's JSON error (and a page's the plain sentence), read from its request line.
func TestRefusedConnectionAnswersTheAPIInJSON(t *testing.T) {
	t.Parallel()
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := LimitConnsPerIP(tcp, 1, nil)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for { // hold every accepted connection open: the first one uses up the limit
			if _, err := ln.Accept(); err != nil {
				return
			}
		}
	}()
	held, err := net.Dial("tcp", tcp.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	poll.Until(t, "the first connection to be counted", 5*time.Second, func() error {
		l := ln.(*perIPListener)
		l.mu.Lock()
		defer l.mu.Unlock()
		if len(l.open) == 0 {
			return errors.New("not yet accepted")
		}
		return nil
	})
	for _, tc := range []struct{ target, contentType string }{
		{"/api/v1/me", "application/json"},
		{"/requisitions", "text/plain; charset=utf-8"},
	} {
		conn, err := net.Dial("tcp", tcp.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: acme.localhost:8080\r\n\r\n", tc.target)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.target, err)
		}
		body, err := io.ReadAll(res.Body)
		conn.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.target, err)
		}
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Content-Type") != tc.contentType || res.Header.Get("Retry-After") != "10" {
			t.Errorf("%s: %d %q Retry-After %q", tc.target, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Retry-After"))
		}
		if tc.contentType != "application/json" {
			continue
		}
		var out map[string]string
		if err := json.Unmarshal(body, &out); err != nil || len(out) != 1 || !strings.HasPrefix(out["error"], "too many connections") {
			t.Errorf("%s: body %q (%v), want the API's error shape", tc.target, body, err)
		}
	}
}
