package deploy_test

import (
	"os"
	"strings"
	"testing"
)

// The README's HAProxy excerpt is the shipped file's own lines, in order, so the two cannot
// drift apart.
func TestReadmeQuotesHAProxyConfig(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile("haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```haproxy\n")
	if !ok {
		t.Fatal("the README quotes no HAProxy configuration (a ```haproxy block)")
	}
	excerpt, _, _ := strings.Cut(rest, "```")
	lines := strings.Split(string(cfg), "\n")
	at := 0
	for _, want := range strings.Split(strings.TrimSpace(excerpt), "\n") {
		for at < len(lines) && lines[at] != want {
			at++
		}
		if at == len(lines) {
			t.Fatalf("the README's line %q is not in deploy/haproxy.cfg (in this order)", want)
		}
	}
}
