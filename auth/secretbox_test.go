package auth_test

import (
	"bytes"
	"errors"
	"testing"

	"outlay/auth"
)

func TestSecretBox(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	box, err := auth.NewSecretBox(key, "sso provider client secrets")
	if err != nil {
		t.Fatal(err)
	}
	sealed := box.Seal("the client secret", "provider:okta")
	if bytes.Contains(sealed, []byte("the client secret")) {
		t.Fatal("the sealed value contains the plain secret")
	}
	if again := box.Seal("the client secret", "provider:okta"); bytes.Equal(again, sealed) {
		t.Error("sealing twice gave the same bytes: the nonce is not random")
	}
	if got, err := box.Open(sealed, "provider:okta"); err != nil || got != "the client secret" {
		t.Fatalf("open: %q %v", got, err)
	}
	otherKey, _ := auth.NewSecretBox(bytes.Repeat([]byte{8}, 32), "sso provider client secrets")
	otherPurpose, _ := auth.NewSecretBox(key, "something else")
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, open := range map[string]func() (string, error){
		"another record":   func() (string, error) { return box.Open(sealed, "provider:other") },
		"another key":      func() (string, error) { return otherKey.Open(sealed, "provider:okta") },
		"another purpose":  func() (string, error) { return otherPurpose.Open(sealed, "provider:okta") },
		"changed in store": func() (string, error) { return box.Open(tampered, "provider:okta") },
		"truncated":        func() (string, error) { return box.Open(sealed[:10], "provider:okta") },
	} {
		if _, err := open(); !errors.Is(err, auth.ErrUnsealable) {
			t.Errorf("%s: %v, want ErrUnsealable", name, err)
		}
	}
	if _, err := auth.NewSecretBox(nil, "x"); err == nil {
		t.Error("a box without a secret key was made")
	}
}
