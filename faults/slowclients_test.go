package faults

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Slow clients (slowloris) open many connections from one address and send their headers a
// byte at a time. Connections over the per-address limit are refused at once with 429; the
// others are cut off when the header timeout passes; meanwhile a normal client from another
// address signs in, reads and writes without an error.
func TestSlowClientsCannotExhaustTheServer(t *testing.T) {
	const slow, perIP = 300, 100
	s := startSite(t, []string{"acme"}, "OUTLAY_READ_HEADER_TIMEOUT=2s", "OUTLAY_MAX_CONNS_PER_IP=100")

	var refused, cutOff, open atomic.Int32
	var wg sync.WaitGroup
	stop := make(chan struct{})
	defer func() {
		close(stop)
		wg.Wait()
	}()
	attacker := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
	const header = "GET /login HTTP/1.1\r\nHost: acme.localhost\r\nUser-Agent: slow\r\nX-Padding: " // never finished
	for i := 0; i < slow; i++ {
		c, err := attacker.Dial("tcp", s.addr)
		if err != nil {
			t.Fatalf("slow connection %d: %v", i, err)
		}
		open.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			// The server answers only to refuse (429) or to close the connection.
			answered := make(chan string, 1)
			go func() {
				line, _ := bufio.NewReader(c).ReadString('\n')
				answered <- line
			}()
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for n := 0; ; n++ {
				select {
				case line := <-answered:
					open.Add(-1)
					if strings.Contains(line, " 429 ") {
						refused.Add(1)
					} else {
						cutOff.Add(1)
					}
					return
				case <-stop:
					return
				case <-tick.C:
					_, _ = c.Write([]byte{header[n%len(header)]})
				}
			}
		}()
	}
	waitFor(t, "connections over the limit to be refused", 10*time.Second, func() bool { return refused.Load() >= slow-perIP })

	// A normal client, from another address, is served while the slow ones hold theirs.
	tl := newTally()
	b := s.signIn(t, "acme")
	for i := 0; i < 10; i++ {
		name := "Steady " + string(rune('A'+i))
		a := b.addVendor(name)
		tl.record("acme", a)
		if a.status == 303 {
			tl.ack("acme", name)
		}
		tl.record("acme", b.get("/vendors"))
	}
	// The header timeout then cuts every slow connection off.
	waitFor(t, "the slow connections to be cut off", 20*time.Second, func() bool { return open.Load() == 0 })

	t.Logf("slow connections: %d refused, %d cut off; normal client: %s", refused.Load(), cutOff.Load(), tl)
	if n := refused.Load(); n != slow-perIP {
		t.Errorf("%d slow connections refused, want %d (over the limit of %d per address)", n, slow-perIP, perIP)
	}
	if errs := tl.errorsOf("acme"); len(errs) > 0 {
		t.Errorf("the normal client got errors: %v", errs)
	}
	s.checkAcknowledged(t, tl, "acme")
}
