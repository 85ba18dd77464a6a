package handlers

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay/auth"
)

// The JSON API's rate limit (OUTLAY_API_RATE_LIMIT a minute, OUTLAY_API_BURST at once) is a
// token bucket per API token, and one per client address (an IPv6 address's /64:
// auth.ClientBlock) for requests without a valid token
// (none, an unknown, expired or revoked one, an unknown organisation), so that guessing tokens
// is throttled too and a bad token never spends a real token's budget. A request over the
// limit is answered 429 before the tenant's database is touched.
//
// The buckets live in this process: each app server limits only the requests it serves, so
// behind a load balancer spreading requests over n servers (README, "Several app servers") a
// token may make up to n times the limit. Counting every API request in the database instead
// would cost a write per request to save that factor.

// maxAPIBuckets caps the keys the limit tracks at once, whoever sends requests from however
// many addresses.
const maxAPIBuckets = 100_000

// apiLimiter holds the buckets. A bucket that has filled up again is the same as no bucket, so
// idle ones are dropped.
type apiLimiter struct {
	perMinute int
	rate      float64       // requests a second a bucket refills by
	burst     float64       // requests a full bucket holds
	refill    time.Duration // how long an empty bucket takes to fill up: idle buckets are swept this often
	maxKeys   int
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]apiBucket
	swept   time.Time
}

// apiBucket is what a key may still send at once, as of at.
type apiBucket struct {
	left float64
	at   time.Time
}

// newAPILimiter is the limit of perMinute requests a minute, burst at once; nil (no limit)
// when perMinute is 0.
func newAPILimiter(perMinute, burst, maxKeys int) *apiLimiter {
	if perMinute <= 0 {
		return nil
	}
	rate := float64(perMinute) / 60
	return &apiLimiter{perMinute: perMinute, rate: rate, burst: float64(burst), maxKeys: maxKeys, now: time.Now,
		refill:  time.Duration(float64(burst) / rate * float64(time.Second)),
		buckets: map[string]apiBucket{}}
}

// limitAPI answers 429 to an API request over its budget: its token's, when the token has
// authenticated on this server lately (and so has a bucket), otherwise its address's. When a
// request charged to its address turns out to carry a valid token, the charge moves to the
// token, so valid tokens never spend their address's budget.
func (s *Server) limitAPI(c *fiber.Ctx) error {
	l := s.apiLimit
	if l == nil {
		return c.Next()
	}
	addr, token := "addr "+auth.ClientKey(clientIP(c)), ""
	if t := bearerToken(c); t != "" {
		token = "token " + string(auth.Digest(t))
	}
	charged := addr
	if token != "" && l.tracks(token) {
		charged = token
	}
	if wait, ok := l.take(charged); !ok {
		who := "with this API token"
		if charged == addr {
			who = "from your network without a valid API token"
		}
		return tooManyAPIRequests(c, who, l.perMinute, wait)
	}
	err := c.Next()
	if charged == addr && token != "" && currentUser(c) != nil {
		l.giveBack(addr)
		l.take(token)
	}
	return err
}

// tooManyAPIRequests refuses a request over the limit, saying when to try again in whole
// seconds, rounded up (Retry-After, and the message for whoever reads the error).
func tooManyAPIRequests(c *fiber.Ctx, who string, perMinute int, wait time.Duration) error {
	seconds := max(int(math.Ceil(wait.Seconds())), 1)
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(seconds))
	again := "1 second"
	if seconds > 1 {
		again = strconv.Itoa(seconds) + " seconds"
	}
	return apiError(c, http.StatusTooManyRequests, fmt.Sprintf("too many requests %s (at most %d a minute); try again in %s", who, perMinute, again))
}

// tracks reports whether key has a bucket.
func (l *apiLimiter) tracks(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.buckets[key]
	return ok
}

// take spends one request of key's budget; when it is spent, it reports false and how long
// until one request is back.
func (l *apiLimiter) take(key string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	if _, ok := l.buckets[key]; !ok && len(l.buckets) >= l.maxKeys {
		// Dropping another key's bucket only fills that one up early.
		for k := range l.buckets {
			delete(l.buckets, k)
			break
		}
	}
	left := l.left(key, now)
	if left < 1 {
		return time.Duration((1 - left) / l.rate * float64(time.Second)), false
	}
	l.buckets[key] = apiBucket{left: left - 1, at: now}
	return 0, true
}

// giveBack returns one request to key's budget.
func (l *apiLimiter) giveBack(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if left := min(l.left(key, now)+1, l.burst); left < l.burst {
		l.buckets[key] = apiBucket{left: left, at: now}
	} else {
		delete(l.buckets, key)
	}
}

// left is what key may send at once at now: a key without a bucket has a full one.
func (l *apiLimiter) left(key string, now time.Time) float64 {
	if b, ok := l.buckets[key]; ok {
		return b.refilled(now, l.rate, l.burst)
	}
	return l.burst
}

// refilled is what b holds at now, filling at rate up to burst.
func (b apiBucket) refilled(now time.Time, rate, burst float64) float64 {
	return min(burst, b.left+now.Sub(b.at).Seconds()*rate)
}

// sweep drops the buckets that have filled up again, once per refill time: the map holds only
// the keys that sent requests in about the last two.
func (l *apiLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < l.refill {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		if b.refilled(now, l.rate, l.burst) >= l.burst {
			delete(l.buckets, k)
		}
	}
}
