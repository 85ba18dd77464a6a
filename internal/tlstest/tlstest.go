// Package tlstest runs TLS test servers on a chosen local address that count the connections
// they accept, so a test can show that a refused request never reached one.
package tlstest

import (
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Server is a running TLS server. Its certificate (httptest's) is valid for 127.0.0.1, ::1,
// example.com and *.example.com.
type Server struct {
	*httptest.Server
	conns atomic.Int64
}

// Start serves h over TLS on addr (such as "127.0.0.2:0") until the test ends. The test is
// skipped when the address cannot be listened on.
func Start(t testing.TB, addr string, h http.Handler) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	s := &Server{Server: httptest.NewUnstartedServer(h)}
	s.Listener = ln
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// Conns counts the connections accepted so far.
func (s *Server) Conns() int64 { return s.conns.Load() }

// RootCAs trusts the server's certificate.
func (s *Server) RootCAs() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.Certificate())
	return p
}

// Port is the port the server listens on.
func (s *Server) Port() string {
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	return port
}
