package models_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"outlay"
	"outlay/internal/dbtest"
	"outlay/models"
)

func TestCreateTokenValidates(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	ctx := context.Background()
	for name, tc := range map[string]struct {
		name  string
		days  int
		field string
	}{
		"empty name":               {"  ", 30, "name"},
		"101 characters":           {strings.Repeat("x", 101), 30, "name"},
		"101 characters, accented": {strings.Repeat("é", 101), 30, "name"},
		"lifetime not offered":     {"ERP sync", 5, "days"},
	} {
		_, _, err := models.CreateToken(ctx, db, ana.ID, tc.name, tc.days, nil)
		if v, ok := outlay.AsValidation(err); !ok || v[tc.field] == "" {
			t.Errorf("%s: %v, want a message for %s", name, err, tc.field)
		}
	}
	// 100 characters is the limit, counted as people count them, not in bytes.
	if _, _, err := models.CreateToken(ctx, db, ana.ID, strings.Repeat("é", 100), 7, nil); err != nil {
		t.Errorf("100 accented characters: %v", err)
	}
}

// One person holds at most MaxWorkingTokens tokens that still work: the API's rate limit is
// per token. A revoked one makes room again.
func TestTokensPerPersonAreCapped(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	bo := env.CreateUser(t, acme, "bo@acme.example", "Bo", "ap_clerk")
	ctx := context.Background()
	var first int64
	for i := 0; i < models.MaxWorkingTokens; i++ {
		tok, _, err := models.CreateToken(ctx, db, ana.ID, "sync", 7, nil)
		if err != nil {
			t.Fatalf("token %d: %v", i+1, err)
		}
		if i == 0 {
			first = tok.ID
		}
	}
	_, _, err := models.CreateToken(ctx, db, ana.ID, "one more", 7, nil)
	if v, ok := outlay.AsValidation(err); !ok || !strings.Contains(v[""], "You have 10 tokens that still work") {
		t.Fatalf("token %d: %v", models.MaxWorkingTokens+1, err)
	}
	if _, _, err := models.CreateToken(ctx, db, bo.ID, "his own", 7, nil); err != nil {
		t.Errorf("Bo's first token: %v", err)
	}
	if err := models.RevokeToken(ctx, db, first, ana.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := models.CreateToken(ctx, db, ana.ID, "one more", 7, nil); err != nil {
		t.Errorf("after revoking one: %v", err)
	}
	// Revoking it again (a second click, an admin after its owner) changes and records
	// nothing; someone else's token is not found.
	if err := models.RevokeToken(ctx, db, first, 0); err != nil {
		t.Errorf("revoking a revoked token: %v", err)
	}
	var events int64
	db.Raw(`SELECT count(*) FROM audit_log WHERE event = 'token.revoked' AND subject = ?`, strconv.FormatInt(first, 10)).Scan(&events)
	if events != 1 {
		t.Errorf("%d token.revoked events for one revocation", events)
	}
	if err := models.RevokeToken(ctx, db, first, bo.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("Bo revoking Ana's token: %v", err)
	}
}

func TestFindTokensFiltersAndPages(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	bo := env.CreateUser(t, acme, "bo@acme.example", "Bo", "ap_clerk")
	mk := func(userID int64, name string) int64 {
		t.Helper()
		tok, _, err := models.CreateToken(ctx, db, userID, name, 30, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tok.ID
	}
	mk(ana.ID, "ana 1")
	revoked := mk(ana.ID, "ana 2")
	expired := mk(bo.ID, "bo 1")
	mk(bo.ID, "bo 2")
	if err := models.RevokeToken(ctx, db, revoked, ana.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`UPDATE api_tokens SET expires_at = now() - interval '1 day' WHERE id = ?`, expired).Error; err != nil {
		t.Fatal(err)
	}

	names := func(f models.TokenFilter) (string, int) {
		t.Helper()
		list, total, err := models.FindTokens(ctx, db, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tok := range list {
			out = append(out, tok.Name+"/"+tok.Status()+"/"+tok.OwnerEmail)
			if len(tok.TokenHash) != 0 {
				t.Errorf("%s: a listing carries the token's digest", tok.Name)
			}
		}
		return strings.Join(out, ", "), total
	}
	for name, tc := range map[string]struct {
		f     models.TokenFilter
		want  string
		total int
	}{
		"everyone's, newest first": {models.TokenFilter{}, "bo 2/active/bo@acme.example, bo 1/expired/bo@acme.example, ana 2/revoked/ana@acme.example, ana 1/active/ana@acme.example", 4},
		"one person's":             {models.TokenFilter{UserID: ana.ID}, "ana 2/revoked/ana@acme.example, ana 1/active/ana@acme.example", 2},
		"active only":              {models.TokenFilter{ActiveOnly: true}, "bo 2/active/bo@acme.example, ana 1/active/ana@acme.example", 2},
		"second page of two":       {models.TokenFilter{Offset: 2, Limit: 2}, "ana 2/revoked/ana@acme.example, ana 1/active/ana@acme.example", 4},
	} {
		if got, total := names(tc.f); got != tc.want || total != tc.total {
			t.Errorf("%s:\n got %s (total %d)\nwant %s (total %d)", name, got, total, tc.want, tc.total)
		}
	}
}

func TestRevokeTokenIsScopedToItsOwner(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	bo := env.CreateUser(t, acme, "bo@acme.example", "Bo", "ap_clerk")
	tok, secret, err := models.CreateToken(ctx, db, bo.ID, "Bo's", 30, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := models.RevokeToken(ctx, db, tok.ID, ana.ID); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("revoking another's token as its non-owner: %v, want ErrNotFound", err)
	}
	if _, err := models.LookupToken(ctx, db, secret); err != nil {
		t.Fatalf("the token stopped working after a refused revocation: %v", err)
	}
	if err := models.RevokeToken(ctx, db, tok.ID, bo.ID); err != nil {
		t.Fatal(err)
	}
	// A second click on Revoke is not an error.
	if err := models.RevokeToken(ctx, db, tok.ID, 0); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	if _, err := models.LookupToken(ctx, db, secret); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("revoked token still resolves: %v", err)
	}
	if err := models.RevokeToken(ctx, db, tok.ID+1000, 0); !errors.Is(err, outlay.ErrNotFound) {
		t.Errorf("revoking a token that does not exist: %v", err)
	}
}

func TestLookupTokenRecordsItsFirstUse(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	ctx := context.Background()
	ana := env.CreateUser(t, acme, "ana@acme.example", "Ana", "admin")
	tok, secret, err := models.CreateToken(ctx, db, ana.ID, "fresh", 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := models.LookupToken(ctx, db, secret)
	if err != nil || u.UserID != ana.ID || u.TokenID != tok.ID {
		t.Fatalf("lookup: %+v %v", u, err)
	}
	// Used within a minute of being made: the first use is still recorded.
	var used bool
	if err := db.Raw(`SELECT last_used_at IS NOT NULL FROM api_tokens WHERE id = ?`, tok.ID).Scan(&used).Error; err != nil || !used {
		t.Errorf("last_used_at not set after the first use (%v)", err)
	}
}
