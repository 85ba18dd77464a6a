package models

import (
	"encoding/json"
	"maps"
	"reflect"
	"testing"
)

// Recorded rows as Postgres writes jsonb, and what is not that shape.
var recordedSeeds = []string{
	`{"id": 12, "name": "Acme \"North\" Ltd", "status": "pending", "total_minor": 123456, "currency": "EUR", "archived_at": null, "active": true, "rate": -0.25, "big": 1e21, "note": "line\nbreak \u00e9 \\ / \/", "created_at": "2026-03-31T09:15:00.123456+00:00"}`,
	`{}`, ` { } `, `{"a":1,"a":2}`, `{"é": "ünïcödé ✓"}`,
	`["status", "updated_at"]`, `[]`,
	`{"nested": {"a": 1}}`, `{"list": [1, 2]}`, `{"s": "\ud83d\ude00"}`, `{"s": "\ud800"}`, `{"n": 1e999}`,
	`{"n": 01}`, `{"n": -}`, `{"n": 1.}`, `{"n": .5}`, `{"t": tru}`, `{"t": truex}`, `{"a": 1,}`, `{"a" 1}`, `{"a": 1} x`,
	`{"a": "` + "\x01" + `"}`, `{"a": "` + "\xff" + `"}`, `{"a": "\x"}`, `{"a": "\u12"}`, `null`, ``, `"x"`, `{"a": 1`,
}

// decodeRecord returns what json.Unmarshal would, less the keys it does not keep, whatever
// the input; and it reads the usual recorded row without encoding/json.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range recordedSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want map[string]any
		wantErr := json.Unmarshal([]byte(s), &want)
		got, err := decodeRecord(s, nil)
		if (err == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeRecord(%q) = %v, %v; json.Unmarshal: %v, %v", s, got, err, want, wantErr)
		}
		keep := func(k string) bool { return len(k)%2 == 0 }
		got, err = decodeRecord(s, keep)
		maps.DeleteFunc(want, func(k string, _ any) bool { return !keep(k) })
		if (err == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeRecord(%q, keep) = %v, %v; want %v, %v", s, got, err, want, wantErr)
		}
		var wantNames []string
		wantErr = json.Unmarshal([]byte(s), &wantNames)
		names, err := decodeNames(s)
		if (err == nil) != (wantErr == nil) || !reflect.DeepEqual(names, wantNames) {
			t.Fatalf("decodeNames(%q) = %v, %v; json.Unmarshal: %v, %v", s, names, err, wantNames, wantErr)
		}
	})
}

// The shapes the audit log records are read directly: were they all handed to encoding/json,
// FuzzDecodeRecord would still pass and nothing would be faster.
func TestRecordedRowsAreReadDirectly(t *testing.T) {
	t.Parallel()
	if m, ok := scanRecord(recordedSeeds[0], nil); !ok || len(m) != 11 || m["name"] != `Acme "North" Ltd` || m["total_minor"] != 123456.0 {
		t.Errorf("a recorded row was not read directly: %v, %v", m, ok)
	}
	if m, ok := scanRecord(recordedSeeds[0], func(k string) bool { return k == "status" }); !ok || len(m) != 1 || m["status"] != "pending" {
		t.Errorf("a recorded row's kept column: %v, %v", m, ok)
	}
	if names, ok := scanNames(`["status", "updated_at"]`); !ok || len(names) != 2 || names[1] != "updated_at" {
		t.Errorf("changed columns were not read directly: %v, %v", names, ok)
	}
	for _, s := range []string{`{"nested": {"a": 1}}`, `{"s": "\ud83d\ude00"}`, `{"n": 1e999}`, `{"a": "` + "\xff" + `"}`} {
		if _, ok := scanRecord(s, nil); ok {
			t.Errorf("%q was read directly; it is encoding/json's to read", s)
		}
	}
}

// An update's entry keeps the columns that changed and those that give its amounts' currency;
// a create keeps every column, and an event its details.
func TestAnUpdateEntryKeepsWhatItShows(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	full := `{"id": 7, "requisition_id": 3, "description": "Desk", "amount_minor": 5000, "quantity_milli": 2000, "gl_account_id": 4}`
	e := auditRow{Action: "update", TableName: str("requisition_lines"), OldJSON: str(full), NewJSON: str(`{"id": 7, "requisition_id": 3, "description": "Desk", "amount_minor": 7000, "quantity_milli": 2000, "gl_account_id": 4}`),
		ChangedJSON: str(`["amount_minor"]`)}.entry()
	if want := map[string]any{"requisition_id": 3.0, "amount_minor": 5000.0}; !reflect.DeepEqual(e.Old, want) {
		t.Errorf("update's old values %v, want %v", e.Old, want)
	}
	if e.New["amount_minor"] != 7000.0 || len(e.New) != 2 {
		t.Errorf("update's new values %v", e.New)
	}
	// What an update keeps is what AmountCurrency needs: a line of any kind still reads in its
	// document's currency.
	for _, k := range documentKinds {
		row := `{"id": 7, "` + k.History.LinesKey + `": 3, "description": "x", "amount_minor": 5000}`
		e := auditRow{Action: "update", OldJSON: str(row), NewJSON: str(row), ChangedJSON: str(`["amount_minor"]`)}.entry()
		names := map[string]map[int64]Reference{k.Table: {3: {Currency: "JPY"}}}
		if got := AmountCurrency(e.New, "amount_minor", names); got != "JPY" {
			t.Errorf("an updated %s line reads in %q, want its document's JPY (kept: %v)", k.Type, got, e.New)
		}
	}
	c := auditRow{Action: "create", NewJSON: str(full)}.entry()
	if len(c.New) != 6 || c.Old != nil {
		t.Errorf("a create keeps every column: %v, %v", c.New, c.Old)
	}
	ev := auditRow{Action: "event", DetailsJSON: str(`{"provider": "okta", "attempts": {"n": 2}}`)}.entry()
	if !reflect.DeepEqual(ev.Details, map[string]any{"provider": "okta", "attempts": map[string]any{"n": 2.0}}) {
		t.Errorf("an event's details: %v", ev.Details)
	}
}

// BenchmarkDecodeRecord: a recorded requisition, directly and through encoding/json.
func BenchmarkDecodeRecord(b *testing.B) {
	row := `{"id": 6501, "number": "REQ-06501", "requester_id": 3, "department_id": 2, "location_id": 1, "vendor_id": 17, "status": "approved", "currency": "USD", "total_minor": 1234500, "justification": "Laptops for the new starters", "needed_by": "2026-04-30", "form_key": "3f1c9a", "submitted_at": "2026-03-31T09:15:00.123456+00:00", "created_at": "2026-03-30T16:02:11.5+00:00", "updated_at": "2026-03-31T10:00:00+00:00"}`
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeRecord(row, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal([]byte(row), &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
