package handlers

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// The client address: the peer, unless the peer is a trusted proxy; then the right-most
// X-Forwarded-For entry that is not a trusted proxy, if it is an IP address, else the peer.
// (In-process requests come from 0.0.0.0.)
func TestClientAddressFromForwardedFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		trusted []string
		xff     []string
		want    string
	}{
		{nil, []string{"192.0.2.1"}, "0.0.0.0"},
		{[]string{"10.0.0.0/8"}, []string{"192.0.2.1"}, "0.0.0.0"},
		{[]string{"0.0.0.0", "10.0.0.0/8"}, nil, "0.0.0.0"},
		{[]string{"0.0.0.0", "10.0.0.0/8"}, []string{"192.0.2.1"}, "192.0.2.1"},
		{[]string{"0.0.0.0", "10.0.0.0/8"}, []string{"198.51.100.9, 192.0.2.1, 10.0.0.5"}, "192.0.2.1"},
		{[]string{"0.0.0.0", "10.0.0.0/8"}, []string{"<script>alert(1)</script>, 192.0.2.1"}, "192.0.2.1"},
		{[]string{"0.0.0.0", "10.0.0.0/8"}, []string{"192.0.2.1, <b>x</b>"}, "0.0.0.0"},
		{[]string{"0.0.0.0", "10.0.0.0/8"}, []string{"192.0.2.1, unknown, 10.0.0.5"}, "0.0.0.0"},
		{[]string{"0.0.0.0", "10.0.0.0/8"}, []string{"198.51.100.9", "192.0.2.1"}, "192.0.2.1"},
		{[]string{"0.0.0.0", "10.0.0.0/8"}, []string{"10.1.1.1, 10.0.0.2"}, "10.1.1.1"},
		{[]string{"0.0.0.0"}, []string{"[2001:db8::1]:4711"}, "2001:db8::1"},
		{[]string{"0.0.0.0"}, []string{"192.0.2.1:4711"}, "192.0.2.1"},
		{[]string{"0.0.0.0"}, []string{"::ffff:192.0.2.1"}, "192.0.2.1"},
		{[]string{"0.0.0.0"}, []string{"fe80::1%eth0"}, "0.0.0.0"},
	} {
		s := &Server{proxies: parseProxies(tc.trusted)}
		app := fiber.New(fiber.Config{EnableTrustedProxyCheck: true})
		app.Use(s.identifyRequest)
		app.Get("/", func(c *fiber.Ctx) error { return c.SendString(clientIP(c)) })
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, v := range tc.xff {
			req.Header.Add("X-Forwarded-For", v)
		}
		res, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		if string(got) != tc.want {
			t.Errorf("trusting %v, X-Forwarded-For %q: %q, want %q", tc.trusted, tc.xff, got, tc.want)
		}
	}
}
