package tenancy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/jackc/pgx/v5"
)

// ErrWrongSecretKey means the secret key given is not the one the deployment's data was made
// with.
var ErrWrongSecretKey = errors.New("OUTLAY_SECRET_KEY is not the key this deployment was started with: every tenant's audit log is keyed under that key, and a record written under another would never verify again. " +
	"Nothing was changed. Start every app server and operator command with the same key")

// CheckSecretKey compares key with the one the deployment was first started with. When none
// is recorded yet (the first start, or the first since this check came), record says whether
// key becomes it: only what starts a deployment records it (serve, tenant create), so that an
// operator's command run with a mistaken key (a read, a migrate) cannot make itself the key.
// To record the key again after changing it on purpose: DELETE FROM secret_key_check.
func (r *Registry) CheckSecretKey(ctx context.Context, key []byte, record bool) error {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("outlay: the deployment's secret key"))
	want := hex.EncodeToString(mac.Sum(nil))
	if record {
		if _, err := r.pool.Exec(ctx, `INSERT INTO secret_key_check (id, mac) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, want); err != nil {
			return err
		}
	}
	var got string
	err := r.pool.QueryRow(ctx, `SELECT mac FROM secret_key_check WHERE id = 1`).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(got), []byte(want)) {
		return ErrWrongSecretKey
	}
	return nil
}
