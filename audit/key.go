package audit

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The chain is keyed. Each row's hash (plain SHA-256 of its canonical text, which includes
// the previous row's hash) is also stored as keyed_hash = HMAC-SHA256(tenant key, hash), so
// someone who can rewrite the table (a database superuser) cannot recompute a valid chain
// without the application's secret. The tenant key is derived from OUTLAY_SECRET_KEY and the
// tenant's slug (TenantKey); it reaches the database only as a connection parameter
// (KeyParameter), set when a tenant pool opens a connection, so it is in no SQL text and no
// statement log. See migrations/tenant/00026_audit_keyed_chain.sql.

// KeyParameter is the connection parameter the chain trigger reads the tenant key from.
const KeyParameter = "outlay.audit_key"

// MinSecretKey is the shortest OUTLAY_SECRET_KEY the audit key is derived from.
const MinSecretKey = 32

// ErrNoSecretKey means a tenant's audit key was asked for without OUTLAY_SECRET_KEY.
var ErrNoSecretKey = errors.New("OUTLAY_SECRET_KEY is required: it keys every tenant's audit log (generate one with `openssl rand -hex 32`)")

// TenantKey derives the key of one tenant's audit chain: HKDF-SHA256 of the deployment's
// secret, with the tenant's slug as the salt.
func TenantKey(secret []byte, slug string) ([]byte, error) {
	if len(secret) < MinSecretKey {
		return nil, ErrNoSecretKey
	}
	return hkdf.Key(sha256.New, secret, []byte(slug), "outlay audit chain v1", sha256.Size)
}

// KeyParameterValue is the value of KeyParameter for a tenant key: HMAC-SHA256's inner and
// outer padded keys (key XOR 0x36..., key XOR 0x5c..., 64 bytes each), in hex. The trigger
// computes HMAC-SHA256 from them with the built-in sha256() alone, so no extension is needed:
// keyed_hash = sha256(opad || sha256(ipad || hash)), which is HMAC-SHA256(key, hash).
func KeyParameterValue(key []byte) string {
	const block = 64 // SHA-256's block size; the key (32 bytes) is zero-padded to it
	pads := make([]byte, 2*block)
	for i := range block {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		pads[i] = k ^ 0x36
		pads[block+i] = k ^ 0x5c
	}
	return hex.EncodeToString(pads)
}

// ConnectionParameters are the runtime parameters every connection to a tenant's database
// carries so that its audit rows can be chained.
func ConnectionParameters(secret []byte, slug string) (map[string]string, error) {
	key, err := TenantKey(secret, slug)
	if err != nil {
		return nil, err
	}
	return map[string]string{KeyParameter: KeyParameterValue(key)}, nil
}

// keyedHash is what the trigger stores in keyed_hash for a row whose hash is hash.
func keyedHash(key, hash []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(hash)
	return m.Sum(nil)
}

// Head is a point in a tenant's chain: a row and its hash. Recorded outside the tenant's
// database (the control plane, an operator's safe), it shows later whether the newest rows
// were removed or the log rewritten up to that row.
type Head struct {
	Slug string
	ID   int64
	Hash []byte
	At   time.Time // when the head was taken
}

// headPrefix starts every signed head.
const headPrefix = "outlay-audit-head-v1"

func headKey(secret []byte) ([]byte, error) {
	if len(secret) < MinSecretKey {
		return nil, ErrNoSecretKey
	}
	return hkdf.Key(sha256.New, secret, nil, "outlay audit head v1", sha256.Size)
}

func (h Head) signature(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s\x00%s\x00%d\x00%x\x00%d", headPrefix, h.Slug, h.ID, h.Hash, h.At.Unix())
	return m.Sum(nil)
}

// Sign writes the head as one line, signed with a key derived from the deployment's secret:
//
//	outlay-audit-head-v1 <slug> <row> <hash, hex> <time, RFC 3339> <signature>
func (h Head) Sign(secret []byte) (string, error) {
	key, err := headKey(secret)
	if err != nil {
		return "", err
	}
	return strings.Join([]string{headPrefix, h.Slug, strconv.FormatInt(h.ID, 10), hex.EncodeToString(h.Hash),
		h.At.UTC().Format(time.RFC3339), base64.RawURLEncoding.EncodeToString(h.signature(key))}, " "), nil
}

// ParseSignedHead reads a line written by Head.Sign and checks its signature.
func ParseSignedHead(secret []byte, line string) (Head, error) {
	key, err := headKey(secret)
	if err != nil {
		return Head{}, err
	}
	f := strings.Fields(line)
	if len(f) != 6 || f[0] != headPrefix {
		return Head{}, fmt.Errorf("not a signed audit head (it should read %q)", headPrefix+" <slug> <row> <hash> <time> <signature>")
	}
	id, err1 := strconv.ParseInt(f[2], 10, 64)
	hash, err2 := hex.DecodeString(f[3])
	at, err3 := time.Parse(time.RFC3339, f[4])
	sig, err4 := base64.RawURLEncoding.DecodeString(f[5])
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return Head{}, fmt.Errorf("not a signed audit head: %w", err)
	}
	h := Head{Slug: f[1], ID: id, Hash: hash, At: at}
	if subtle.ConstantTimeCompare(sig, h.signature(key)) != 1 {
		return Head{}, errors.New("the audit head's signature does not match: it was changed, or signed with another OUTLAY_SECRET_KEY")
	}
	return h, nil
}
