package handlers

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"outlay/auth"
)

// LimitConnsPerIP wraps a listener so that one client address (an IPv6 address's /64:
// auth.ClientBlock) holds at most perIP connections at once: slow clients (slowloris) from one address cannot take every connection the server
// has, while everyone else is still served. A connection over the limit is answered 429 and
// closed at once. Trusted proxies are exempt, since every request behind them comes from their
// address.
func LimitConnsPerIP(ln net.Listener, perIP int, trusted []string) net.Listener {
	if perIP <= 0 {
		return ln
	}
	return &perIPListener{Listener: ln, perIP: perIP, trusted: parseProxies(trusted), open: map[netip.Prefix]int{}}
}

type perIPListener struct {
	net.Listener
	perIP   int
	trusted proxies

	mu   sync.Mutex
	open map[netip.Prefix]int
}

// tooManyConnections is written, unread request or not, to a connection over the limit.
const tooManyConnections = "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 33\r\nRetry-After: 10\r\n\r\nToo many connections from you.\r\n"

func (l *perIPListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := peerAddr(c)
		if !ip.IsValid() || l.trusted.contain(ip) {
			return c, nil
		}
		block := auth.ClientBlock(ip)
		l.mu.Lock()
		over := l.open[block] >= l.perIP
		if !over {
			l.open[block]++
		}
		l.mu.Unlock()
		if over {
			go refuse(c)
			continue
		}
		return &perIPConn{Conn: c, release: func() { l.release(block) }}, nil
	}
}

func (l *perIPListener) release(block netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[block]--; l.open[block] <= 0 {
		delete(l.open, block)
	}
}

func refuse(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write([]byte(tooManyConnections))
	_ = c.Close()
}

func peerAddr(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			return ip.Unmap()
		}
	}
	return netip.Addr{}
}

type perIPConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *perIPConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
