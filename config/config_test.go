package config_test

import (
	"flag"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"outlay/config"
)

func bind(t *testing.T, args ...string) (config.Config, error) {
	t.Helper()
	c := config.Defaults()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	finish := config.Bind(fs, &c)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return c, finish()
}

func TestOutboundAllow(t *testing.T) {
	c, err := bind(t, "--outbound-allow", " idp.corp.example , 10.20.0.0/16,192.168.1.7, ::ffff:172.16.0.9, fd00::/8, ::ffff:10.9.0.0/112, Keycloak.Internal. ")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"idp.corp.example", "keycloak.internal"}; !slices.Equal(c.OutboundAllowHosts, want) {
		t.Errorf("hosts %v, want %v", c.OutboundAllowHosts, want)
	}
	var nets []string
	for _, p := range c.OutboundAllowNets {
		nets = append(nets, p.String())
	}
	if want := []string{"10.20.0.0/16", "192.168.1.7/32", "172.16.0.9/32", "fd00::/8", "10.9.0.0/16"}; !slices.Equal(nets, want) {
		t.Errorf("nets %v, want %v", nets, want)
	}
	if !c.OutboundAllowNets[2].Contains(netip.MustParseAddr("172.16.0.9")) {
		t.Error("an IPv4-mapped entry does not match its IPv4 address")
	}
	for _, bad := range []string{"http://idp.example", "10.0.0.0/33", "idp example", "-x.example"} {
		if _, err := bind(t, "--outbound-allow", bad); err == nil || !strings.Contains(err.Error(), "OUTLAY_OUTBOUND_ALLOW") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if c, err := bind(t); err != nil || c.OutboundAllowHosts != nil || c.OutboundAllowNets != nil {
		t.Errorf("unset: %v %v %v", c.OutboundAllowHosts, c.OutboundAllowNets, err)
	}
}

// OUTLAY_DRAIN_TIME is off by default, takes a duration, and refuses nonsense by name.
func TestDrainTime(t *testing.T) {
	if c, err := bind(t); err != nil || c.DrainTime != 0 {
		t.Errorf("default: %v %v", c.DrainTime, err)
	}
	if c, err := bind(t, "--drain-time", "5s"); err != nil || c.DrainTime != 5*time.Second {
		t.Errorf("5s: %v %v", c.DrainTime, err)
	}
	for _, bad := range []string{"soon", "-1s", "1h"} {
		if _, err := bind(t, "--drain-time", bad); err == nil || !strings.Contains(err.Error(), "OUTLAY_DRAIN_TIME") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// Uploaded import files are kept 24 hours unless set otherwise; a setting that is not a
// positive duration stops start-up naming it.
func TestImportUploadTTL(t *testing.T) {
	if c, err := bind(t); err != nil || c.ImportUploadTTL != 24*time.Hour {
		t.Errorf("default: %v %v", c.ImportUploadTTL, err)
	}
	if c, err := bind(t, "--import-upload-ttl", "72h"); err != nil || c.ImportUploadTTL != 72*time.Hour {
		t.Errorf("72h: %v %v", c.ImportUploadTTL, err)
	}
	for _, bad := range []string{"a day", "0s", "-1h"} {
		if _, err := bind(t, "--import-upload-ttl", bad); err == nil || !strings.Contains(err.Error(), "OUTLAY_IMPORT_UPLOAD_TTL") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// An upload's check runs 20 s in the request unless set otherwise, and never as long as the
// server's write timeout; a setting out of range stops start-up naming it.
func TestImportCheckTime(t *testing.T) {
	if c, err := bind(t); err != nil || c.ImportCheckTime != 20*time.Second {
		t.Errorf("default: %v %v", c.ImportCheckTime, err)
	}
	if c, err := bind(t, "--import-check-time", "5s"); err != nil || c.ImportCheckTime != 5*time.Second {
		t.Errorf("5s: %v %v", c.ImportCheckTime, err)
	}
	for _, bad := range []string{"quick", "0s", "500ms", "1m"} {
		if _, err := bind(t, "--import-check-time", bad); err == nil || !strings.Contains(err.Error(), "OUTLAY_IMPORT_CHECK_TIME") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// The memory budget is 256 MB unless set; 0 keeps Go's defaults; anything else that is not a
// number of megabytes of at least 64 stops start-up naming it.
func TestMemoryLimit(t *testing.T) {
	if c, err := bind(t); err != nil || c.MemoryLimitMB != 256 {
		t.Errorf("default: %v %v", c.MemoryLimitMB, err)
	}
	for arg, want := range map[string]int{"0": 0, "64": 64, "1024": 1024} {
		if c, err := bind(t, "--memory-limit-mb", arg); err != nil || c.MemoryLimitMB != want {
			t.Errorf("%s: %v %v", arg, c.MemoryLimitMB, err)
		}
	}
	for _, bad := range []string{"lots", "-1", "10", "1.5"} {
		if _, err := bind(t, "--memory-limit-mb", bad); err == nil || !strings.Contains(err.Error(), "OUTLAY_MEMORY_LIMIT_MB") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// The JSON API allows 600 requests a minute per token, 100 at once, unless set; a rate of 0
// turns the limit off; anything else that is not a whole number stops start-up naming it.
func TestAPIRateLimit(t *testing.T) {
	if c, err := bind(t); err != nil || c.APIRateLimit != 600 || c.APIBurst != 100 {
		t.Errorf("default: %d a minute, %d at once, %v", c.APIRateLimit, c.APIBurst, err)
	}
	if c, err := bind(t, "--api-rate-limit", "0"); err != nil || c.APIRateLimit != 0 {
		t.Errorf("0: %d %v", c.APIRateLimit, err)
	}
	if c, err := bind(t, "--api-rate-limit", "6000", "--api-burst", "20"); err != nil || c.APIRateLimit != 6000 || c.APIBurst != 20 {
		t.Errorf("6000 and 20: %d %d %v", c.APIRateLimit, c.APIBurst, err)
	}
	for _, bad := range []string{"lots", "-1", "1.5", "600/m"} {
		if _, err := bind(t, "--api-rate-limit", bad); err == nil || !strings.Contains(err.Error(), "OUTLAY_API_RATE_LIMIT") {
			t.Errorf("rate %q: %v", bad, err)
		}
	}
	for _, bad := range []string{"0", "-5", "many"} {
		if _, err := bind(t, "--api-burst", bad); err == nil || !strings.Contains(err.Error(), "OUTLAY_API_BURST") {
			t.Errorf("burst %q: %v", bad, err)
		}
	}
}

// A number past what makes sense is refused by name and range, not wrapped round (purge days
// overflowing a duration) nor passed on to fail later with a message that names no setting;
// a duration of 0 is told it must be longer, not that it is no duration.
func TestNumbersAreBoundedByName(t *testing.T) {
	for flagName, c := range map[string]struct{ setting, value, want string }{
		"purge-after-days": {"OUTLAY_PURGE_AFTER_DAYS", "99999999999", "must be a whole number from 1 to 3650"},
		"job-workers":      {"OUTLAY_JOB_WORKERS", "100000000", "must be a whole number from 1 to 1000"},
		"db-conn-share":    {"OUTLAY_DB_CONN_SHARE", "150", "must be a whole number from 1 to 100"},
		"max-upload-mb":    {"OUTLAY_MAX_UPLOAD_MB", "4096", "must be a whole number from 1 to 1024"},
		"db-wait":          {"OUTLAY_DB_WAIT", "0s", "must be longer than 0"},
		"session-idle":     {"OUTLAY_SESSION_IDLE", "0s", "must be longer than 0"},
	} {
		_, err := bind(t, "--"+flagName, c.value)
		if err == nil || !strings.Contains(err.Error(), c.setting+": "+c.want) {
			t.Errorf("%s=%s: %v, want %q", c.setting, c.value, err, c.want)
		}
	}
	if c, err := bind(t, "--purge-after-days", "3650"); err != nil || c.PurgeWindow != 3650*24*time.Hour {
		t.Errorf("ten years: %v %v", c.PurgeWindow, err)
	}
}

// A public URL whose host is not the base domain sends mail links to addresses the server
// does not serve: said at start-up (not refused: a proxy may rewrite Host).
func TestPublicHostMismatchIsSaid(t *testing.T) {
	c, err := bind(t, "--base-domain", "outlay.example.com", "--public-url", "https://other.example:8443")
	if err != nil {
		t.Fatal(err)
	}
	if msg := c.PublicHostMismatch(); !strings.Contains(msg, `host "other.example" is not OUTLAY_BASE_DOMAIN "outlay.example.com"`) {
		t.Errorf("mismatch: %q", msg)
	}
	c, err = bind(t, "--base-domain", "outlay.example.com", "--public-url", "https://outlay.example.com:8443")
	if err != nil || c.PublicHostMismatch() != "" {
		t.Errorf("matching: %q %v", c.PublicHostMismatch(), err)
	}
	if c, err = bind(t); err != nil || c.PublicHostMismatch() != "" {
		t.Errorf("defaults: %q %v", c.PublicHostMismatch(), err)
	}
}
