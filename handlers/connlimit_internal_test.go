package handlers

import (
	"net"
	"net/netip"
	"testing"
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
