package audit

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Problem is what is wrong with the first broken row of a chain.
type Problem string

const (
	// Altered: a row's contents no longer match its hash, or a row was replaced by one whose
	// hash was recomputed (the row after it is then chained to a hash that no longer exists).
	Altered Problem = "altered"
	// Removed: rows are missing between two rows (their numbers are missing too).
	Removed Problem = "removed"
	// InsertedOutOfOrder: a row was not appended by the chain trigger after the row before it:
	// it claims an earlier predecessor, skips numbers, or links to nothing.
	InsertedOutOfOrder Problem = "inserted out of order"
	// Unchained: records were written to audit_pending and committed without ever being
	// chained into audit_log (the commit trigger was disabled).
	Unchained Problem = "never chained"
)

// Result is what Verify found.
type Result struct {
	Rows     int64  // rows read, up to and including the first broken one
	HeadID   int64  // the last intact row, and its hash: record them elsewhere to detect a
	HeadHash []byte // later removal of the newest rows, which the chain alone cannot show
	// KeyedFrom is the first row with a keyed hash (0: none yet). Rows before it were written
	// before the chain was keyed; the first keyed row vouches for them.
	KeyedFrom int64
	Problem   Problem
	BadID     int64 // the first row that is wrong (for Removed: the first missing number)
	Detail    string
}

// Intact reports whether the whole chain checked out.
func (r Result) Intact() bool { return r.Problem == "" }

func (r Result) String() string {
	if r.Intact() {
		return fmt.Sprintf("%d rows, chain intact", r.Rows)
	}
	return fmt.Sprintf("row %d %s: %s", r.BadID, r.Problem, r.Detail)
}

// genesis is the prev_hash of the first row.
var genesis = make([]byte, sha256.Size)

// chainRow is a row of audit_log as the canonical encoding reads it: scalar columns as
// values, jsonb columns (and changed, as jsonb) in Postgres's text form, which is a function
// of the stored value.
type chainRow struct {
	id                                  int64
	at                                  time.Time
	actorType                           string
	actorID                             int64
	actorLabel, action                  string
	event, tableName, recordID, subject sql.NullString
	old, new, changed, details          sql.NullString
	requestID, ip                       string
	prevHash, hash, keyedHash           []byte
}

const selectChain = `SELECT id, at, actor_type, actor_id, actor_label, action, event, table_name, record_id, subject,
	old::text, new::text, to_jsonb(changed)::text, details::text, request_id, ip, prev_hash, hash, keyed_hash
	FROM audit_log ORDER BY id`

// canonical is the text the hash covers: the jsonb object audit_canonical builds in the
// migration, as Postgres prints it. Keys are ordered by length, then bytes; pairs are
// separated by ", " and keys from values by ": "; strings are escaped as Postgres escapes them.
func (r *chainRow) canonical() []byte {
	str := func(s string) string { return quoteJSON(s) }
	nullable := func(s sql.NullString, raw bool) string {
		switch {
		case !s.Valid:
			return "null"
		case raw:
			return s.String
		default:
			return quoteJSON(s.String)
		}
	}
	fields := map[string]string{
		"id":          strconv.FormatInt(r.id, 10),
		"at":          strconv.FormatInt(r.at.UnixMicro(), 10),
		"actor_type":  str(r.actorType),
		"actor_id":    strconv.FormatInt(r.actorID, 10),
		"actor_label": str(r.actorLabel),
		"action":      str(r.action),
		"event":       nullable(r.event, false),
		"subject":     nullable(r.subject, false),
		"details":     nullable(r.details, true),
		"table_name":  nullable(r.tableName, false),
		"record_id":   nullable(r.recordID, false),
		"old":         nullable(r.old, true),
		"new":         nullable(r.new, true),
		"changed":     nullable(r.changed, true),
		"request_id":  str(r.requestID),
		"ip":          str(r.ip),
		"prev_hash":   str(hex.EncodeToString(r.prevHash)),
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) < len(keys[j])
		}
		return keys[i] < keys[j]
	})
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteJSON(k))
		b.WriteString(": ")
		b.WriteString(fields[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// quoteJSON quotes s as Postgres's escape_json does: the two-character escapes for ", \, and
// \b \f \n \r \t, \u00xx for other control characters, everything else as it is.
func quoteJSON(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (r *chainRow) intact() bool {
	sum := sha256.Sum256(r.canonical())
	return bytes.Equal(sum[:], r.hash)
}

// Verify walks a tenant's audit log in order and checks that each row is numbered after the
// one before it, carries that row's hash, and hashes to its own; it returns at the first row
// that does not. The error is for failures to read the log, not for a broken chain.
//
// What the chain cannot show on its own: the newest rows removed together (the rest is still
// a valid chain), or the whole log rewritten with new hashes by someone who can disable the
// triggers. Result.HeadID and HeadHash are what to record outside the database (an operator's
// log, the control plane) to catch those.
//
// key is the tenant's audit key (TenantKey): each row's keyed hash must be the HMAC of its
// hash under it, and once a row has one, every later row must too. So a row altered, and every
// hash after it recomputed, by someone without OUTLAY_SECRET_KEY is reported as altered.
func Verify(ctx context.Context, db *gorm.DB, key []byte) (Result, error) {
	if len(key) == 0 {
		return Result{}, ErrNoSecretKey
	}
	db = db.WithContext(ctx)
	rows, err := db.Raw(selectChain).Rows()
	if err != nil {
		return Result{}, fmt.Errorf("read the audit log: %w", err)
	}
	res := Result{HeadHash: genesis}
	var broken *chainRow // a row whose link needs a second look, after the scan is closed
	for rows.Next() {
		var r chainRow
		if err := rows.Scan(&r.id, &r.at, &r.actorType, &r.actorID, &r.actorLabel, &r.action, &r.event, &r.tableName,
			&r.recordID, &r.subject, &r.old, &r.new, &r.changed, &r.details, &r.requestID, &r.ip, &r.prevHash, &r.hash, &r.keyedHash); err != nil {
			rows.Close()
			return Result{}, fmt.Errorf("read the audit log: %w", err)
		}
		res.Rows++
		ok, brokenLink := res.next(&r, key)
		if brokenLink {
			broken = &r
			break
		}
		if !ok {
			rows.Close()
			return res, nil
		}
	}
	if err := rows.Close(); err != nil {
		return Result{}, fmt.Errorf("read the audit log: %w", err)
	}
	if err := rows.Err(); err != nil {
		return Result{}, fmt.Errorf("read the audit log: %w", err)
	}
	if broken != nil {
		return explainBrokenLink(db, res, broken)
	}

	var pending struct {
		N     int64
		First int64
	}
	if err := db.Raw(`SELECT count(*) AS n, coalesce(min(pending_id), 0) AS first FROM audit_pending`).Scan(&pending).Error; err != nil {
		return Result{}, fmt.Errorf("read pending audit records: %w", err)
	}
	if pending.N > 0 {
		res.Problem, res.BadID = Unchained, res.HeadID+1
		res.Detail = fmt.Sprintf("%d committed records (from audit_pending id %d) were never chained into the log", pending.N, pending.First)
	}
	return res, nil
}

// next checks r as the row after those res has seen: numbered after the head, carrying
// its hash, hashing to its own, and keyed under key once the chain is keyed. At the first
// problem it reports false with the problem in res; brokenLink then says that r is numbered
// right but not chained to the head, which the caller explains (who has the rows before it).
func (res *Result) next(r *chainRow, key []byte) (ok, brokenLink bool) {
	linked := bytes.Equal(r.prevHash, res.HeadHash)
	if r.id != res.HeadID+1 {
		switch {
		case linked:
			res.Problem, res.BadID = InsertedOutOfOrder, r.id
			res.Detail = fmt.Sprintf("it is chained directly after row %d but numbered %d", res.HeadID, r.id)
		case r.id > res.HeadID+1:
			res.Problem, res.BadID = Removed, res.HeadID+1
			if r.id == res.HeadID+2 {
				res.Detail = fmt.Sprintf("row %d is missing: row %d follows row %d", res.HeadID+1, r.id, res.HeadID)
			} else {
				res.Detail = fmt.Sprintf("rows %d to %d are missing: row %d follows row %d", res.HeadID+1, r.id-1, r.id, res.HeadID)
			}
		default:
			res.Problem, res.BadID = InsertedOutOfOrder, r.id
			res.Detail = fmt.Sprintf("it is numbered %d after row %d", r.id, res.HeadID)
		}
		return false, false
	}
	if !linked {
		return false, true
	}
	if !r.intact() {
		res.Problem, res.BadID = Altered, r.id
		res.Detail = "its contents do not match its hash"
		return false, false
	}
	switch {
	case r.keyedHash == nil && res.KeyedFrom != 0:
		res.Problem, res.BadID = Altered, r.id
		res.Detail = fmt.Sprintf("it has no keyed hash though the rows from %d on have one: it was written or rewritten without the secret key", res.KeyedFrom)
		return false, false
	case r.keyedHash != nil && !hmac.Equal(r.keyedHash, keyedHash(key, r.hash)):
		res.Problem, res.BadID = Altered, r.id
		res.Detail = "its keyed hash does not match: it, or a row before it, was rewritten by someone without the secret key " +
			"(or OUTLAY_SECRET_KEY is not the one the log was written with)"
		return false, false
	case r.keyedHash != nil && res.KeyedFrom == 0:
		res.KeyedFrom = r.id
	}
	res.HeadID, res.HeadHash = r.id, r.hash
	return true, false
}

// explainBrokenLink names the row at fault when r, correctly numbered, does not carry the hash
// of the row before it.
func explainBrokenLink(db *gorm.DB, res Result, r *chainRow) (Result, error) {
	var earlier []int64
	err := db.Raw(`SELECT id FROM audit_log WHERE hash = ? AND id < ? ORDER BY id DESC LIMIT 1`, r.prevHash, r.id).Scan(&earlier).Error
	if err != nil {
		return Result{}, fmt.Errorf("read the audit log: %w", err)
	}
	switch {
	case len(earlier) == 1:
		res.Problem, res.BadID = InsertedOutOfOrder, r.id
		res.Detail = fmt.Sprintf("it is chained after row %d but follows row %d", earlier[0], res.HeadID)
	case bytes.Equal(r.prevHash, genesis):
		res.Problem, res.BadID = InsertedOutOfOrder, r.id
		res.Detail = fmt.Sprintf("it claims to be the first row but follows row %d", res.HeadID)
	case r.intact() && res.HeadID > 0:
		// r is as the trigger wrote it, but the row before it is not the one it was chained to.
		res.Problem, res.BadID = Altered, res.HeadID
		res.Detail = fmt.Sprintf("it was replaced and its hash recomputed: row %d was chained to a different row %d", r.id, res.HeadID)
	default:
		res.Problem, res.BadID = InsertedOutOfOrder, r.id
		res.Detail = fmt.Sprintf("it is not chained to row %d and its contents do not match its hash", res.HeadID)
	}
	return res, nil
}

// LatestHead is the newest row of a tenant's log and its hash, read without walking the chain
// (an empty log has head 0 and the genesis hash).
func LatestHead(ctx context.Context, db *gorm.DB, slug string) (Head, error) {
	var rows []struct {
		ID   int64
		Hash []byte
	}
	if err := db.WithContext(ctx).Raw(`SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&rows).Error; err != nil {
		return Head{}, fmt.Errorf("read the audit log's head: %w", err)
	}
	h := Head{Slug: slug, Hash: genesis, At: time.Now().UTC().Truncate(time.Second)}
	if len(rows) == 1 {
		h.ID, h.Hash = rows[0].ID, rows[0].Hash
	}
	return h, nil
}

// CheckHead compares a verified chain (res, from Verify) with a head recorded earlier. It
// returns "" when the chain still reaches that row with that hash, or says what happened:
// the newest rows were cut off, or the log was rewritten up to the head.
func CheckHead(ctx context.Context, db *gorm.DB, res Result, h Head) (string, error) {
	if h.ID == 0 {
		return "", nil
	}
	when := h.At.UTC().Format("2006-01-02 15:04:05 UTC")
	if res.HeadID < h.ID {
		if res.Intact() {
			return fmt.Sprintf("the newest rows were cut off: the log ends at row %d, but row %d was its head at %s", res.HeadID, h.ID, when), nil
		}
		return fmt.Sprintf("the log is broken before row %d, its head at %s", h.ID, when), nil
	}
	var hash []byte
	err := db.WithContext(ctx).Raw(`SELECT hash FROM audit_log WHERE id = ?`, h.ID).Row().Scan(&hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read the audit log: %w", err)
	}
	if !bytes.Equal(hash, h.Hash) {
		return fmt.Sprintf("row %d is not the row that was the head at %s: the log was rewritten up to it", h.ID, when), nil
	}
	return "", nil
}
