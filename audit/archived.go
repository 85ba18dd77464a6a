package audit

import (
	"bufio"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// archivedRow is a row of audit_log as Postgres's row_to_json writes it (a tenant archive's
// tables/audit_log.jsonl): jsonb values as their text, bytea as \x-prefixed hex, changed as a
// JSON array.
type archivedRow struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	ActorType  string          `json:"actor_type"`
	ActorID    int64           `json:"actor_id"`
	ActorLabel string          `json:"actor_label"`
	Action     string          `json:"action"`
	Event      *string         `json:"event"`
	Subject    *string         `json:"subject"`
	Details    json.RawMessage `json:"details"`
	TableName  *string         `json:"table_name"`
	RecordID   *string         `json:"record_id"`
	Old        json.RawMessage `json:"old"`
	New        json.RawMessage `json:"new"`
	Changed    *[]string       `json:"changed"`
	RequestID  string          `json:"request_id"`
	IP         string          `json:"ip"`
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`
	KeyedHash  *string         `json:"keyed_hash"`
}

// chainRow turns the archived row into the row Verify reads from the database.
func (a *archivedRow) chainRow() (chainRow, error) {
	r := chainRow{id: a.ID, at: a.At, actorType: a.ActorType, actorID: a.ActorID, actorLabel: a.ActorLabel, action: a.Action,
		event: nullString(a.Event), subject: nullString(a.Subject), tableName: nullString(a.TableName), recordID: nullString(a.RecordID),
		details: rawJSON(a.Details), old: rawJSON(a.Old), new: rawJSON(a.New), requestID: a.RequestID, ip: a.IP}
	if a.Changed != nil {
		// to_jsonb(changed)::text, as the canonical text has it: jsonb spaces its arrays.
		quoted := make([]string, len(*a.Changed))
		for i, c := range *a.Changed {
			quoted[i] = quoteJSON(c)
		}
		r.changed = sql.NullString{String: "[" + strings.Join(quoted, ", ") + "]", Valid: true}
	}
	var err error
	if r.prevHash, err = byteaHex(a.PrevHash); err != nil {
		return r, fmt.Errorf("prev_hash: %w", err)
	}
	if r.hash, err = byteaHex(a.Hash); err != nil {
		return r, fmt.Errorf("hash: %w", err)
	}
	if a.KeyedHash != nil {
		if r.keyedHash, err = byteaHex(*a.KeyedHash); err != nil {
			return r, fmt.Errorf("keyed_hash: %w", err)
		}
	}
	return r, nil
}

func nullString(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}

// rawJSON is a jsonb value as row_to_json wrote it, which is the value's own text.
func rawJSON(raw json.RawMessage) sql.NullString {
	if len(raw) == 0 || string(raw) == "null" {
		return sql.NullString{}
	}
	return sql.NullString{String: string(raw), Valid: true}
}

// byteaHex decodes bytea's text form, \x followed by hex.
func byteaHex(s string) ([]byte, error) {
	h, ok := strings.CutPrefix(s, `\x`)
	if !ok {
		return nil, fmt.Errorf("%q is not bytea's hex form", s)
	}
	return hex.DecodeString(h)
}

// VerifyArchived walks an audit log written out as JSON Lines (one row_to_json row a line, in
// id order, as a tenant archive holds it) and checks it as Verify checks a log in the
// database: numbering, links, every row's hash, and every keyed hash under key (the key of
// the tenant the log was written for). It returns at the first broken row; the error is for
// lines that cannot be read as rows at all.
func VerifyArchived(r io.Reader, key []byte) (Result, error) {
	if len(key) == 0 {
		return Result{}, ErrNoSecretKey
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	res := Result{HeadHash: genesis}
	for sc.Scan() {
		var a archivedRow
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return res, fmt.Errorf("audit log line %d: %w", res.Rows+1, err)
		}
		row, err := a.chainRow()
		if err != nil {
			return res, fmt.Errorf("audit log row %d: %w", a.ID, err)
		}
		res.Rows++
		ok, brokenLink := res.next(&row, key)
		if brokenLink {
			res.Problem, res.BadID = Altered, row.id
			res.Detail = fmt.Sprintf("it is not chained to row %d: that row, or this one, was changed", res.HeadID)
			return res, nil
		}
		if !ok {
			return res, nil
		}
	}
	return res, sc.Err()
}
