package handlers

import (
	"bytes"
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

// tooManyConnections is written to a connection over the limit; tooManyAPIConnections when
// its request is for the JSON API, whose errors are all JSON of one shape (apiError).
const (
	tooManyConnections    = "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 32\r\nRetry-After: 10\r\n\r\nToo many connections from you.\r\n"
	tooManyAPIConnections = "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: 76\r\nRetry-After: 10\r\n\r\n" +
		`{"error":"too many connections from your network; try again in 10 seconds"}` + "\n"
)

// refusalWait is how long a refused connection's request line is waited for, to tell an API
// request from a page's.
const refusalWait = time.Second

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
	answer := tooManyConnections
	_ = c.SetReadDeadline(time.Now().Add(refusalWait))
	if isAPIPath(unreadTarget(firstLine(c, 512))) {
		answer = tooManyAPIConnections
	}
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write([]byte(answer))
	_ = c.Close()
}

// firstLine reads from c up to its first newline, at most limit bytes, for as long as c's read
// deadline allows.
func firstLine(c net.Conn, limit int) string {
	head := make([]byte, 0, limit)
	for len(head) < limit && !bytes.Contains(head, []byte("\n")) {
		n, err := c.Read(head[len(head):limit])
		head = head[:len(head)+n]
		if err != nil {
			break
		}
	}
	return string(head)
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
