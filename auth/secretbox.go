package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
)

// SecretBox encrypts the few secrets Outlay must keep readable, such as a tenant's SSO
// client secret, with AES-256-GCM. Its key is derived from the deployment's secret key with
// HKDF and a label naming the purpose, so it is never the key that signs cookies.
//
// Each sealed value is bound to a context string (what it is the secret of), so a value
// copied onto another record does not open there.
type SecretBox struct{ aead cipher.AEAD }

// sealedVersion prefixes every sealed value, so a later key or algorithm can be told apart.
const sealedVersion = 1

// ErrUnsealable means a sealed value could not be opened: it was changed, belongs to another
// record, or was sealed under another OUTLAY_SECRET_KEY.
var ErrUnsealable = errors.New("the stored secret cannot be decrypted with this OUTLAY_SECRET_KEY")

// NewSecretBox derives a box for purpose from the deployment's secret key.
func NewSecretBox(secretKey []byte, purpose string) (*SecretBox, error) {
	if len(secretKey) < 32 {
		return nil, errors.New("OUTLAY_SECRET_KEY is not set (or shorter than 32 bytes): secrets cannot be stored")
	}
	key, err := hkdf.Key(sha256.New, secretKey, nil, "outlay secret box v1: "+purpose, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &SecretBox{aead: aead}, nil
}

// Seal encrypts plaintext for the record named by context.
func (b *SecretBox) Seal(plaintext, context string) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms.
	}
	out := append([]byte{sealedVersion}, nonce...)
	return b.aead.Seal(out, nonce, []byte(plaintext), []byte(context))
}

// Open decrypts a value sealed for context.
func (b *SecretBox) Open(sealed []byte, context string) (string, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != sealedVersion {
		return "", ErrUnsealable
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(context))
	if err != nil {
		return "", ErrUnsealable
	}
	return string(plain), nil
}
