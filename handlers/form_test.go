package handlers

import (
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"outlay"
)

type formLine struct {
	Kind     string `form:"kind"`
	Currency string `form:"currency"`
	Note     string `form:"note"`
}

type formUnderTest struct {
	Name     string            `form:"name"`
	Email    string            `form:"email,trim"`
	Active   bool              `form:"active"`
	Off      bool              `form:"off"`
	Page     int               `form:"page"`
	Bad      int64             `form:"bad"`
	Roles    []string          `form:"roles"`
	Currency string            `form:"currency"`
	Lines    []formLine        `form:"lines,rows=kind"`
	Estimate map[string]string `form:"estimate-*"`
	Qty      map[int64]string  `form:"qty-*"`
	Ignored  string
}

type embeddingForm struct {
	formUnderTest
	Intent string `form:"intent"`
}

// bindForm reads every kind of field a form has: text as typed (trimmed where asked), ticked
// boxes, numbers (refusing what is not one beside its field), repeated fields, the rows of a
// table (a header's value first among values it shares a name with) and fields named at run
// time; from the query string too, as FormValue.
func TestBindFormReadsEveryKindOfField(t *testing.T) {
	t.Parallel()
	body := url.Values{
		"name": {"  Ada  "}, "email": {" ada@example.com "}, "active": {"1"}, "off": {"false"}, "page": {"3"}, "bad": {"x"},
		"roles": {"admin", " buyer "}, "currency": {"EUR", "USD", ""}, "kind": {"expense", "mileage"}, "note": {" lunch "},
		"estimate-air": {"800"}, "qty-12": {"2"}, "qty-x": {"9"}, "intent": {"submit"}, "Ignored": {"no"},
	}
	var got embeddingForm
	var errs outlay.ValidationErrors
	app := fiber.New()
	app.Post("/", func(c *fiber.Ctx) error { errs = bindForm(c, &got); return nil })
	req := httptest.NewRequest("POST", "/?extra=1", strings.NewReader(body.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	f := got.formUnderTest
	if f.Name != "  Ada  " || f.Email != "ada@example.com" || !f.Active || f.Off || f.Page != 3 || f.Bad != 0 || got.Intent != "submit" || f.Ignored != "" {
		t.Errorf("scalars: %+v intent %q", f, got.Intent)
	}
	if errs["bad"] != "Enter a whole number." || len(errs) != 1 {
		t.Errorf("refusals: %v", errs)
	}
	if strings.Join(f.Roles, ",") != "admin, buyer " {
		t.Errorf("roles: %q", f.Roles)
	}
	want := []formLine{{Kind: "expense", Currency: "USD", Note: " lunch "}, {Kind: "mileage"}}
	if f.Currency != "EUR" || len(f.Lines) != 2 || f.Lines[0] != want[0] || f.Lines[1] != want[1] {
		t.Errorf("header currency %q, lines %+v", f.Currency, f.Lines)
	}
	if len(f.Estimate) != 1 || f.Estimate["air"] != "800" || len(f.Qty) != 1 || f.Qty[12] != "2" {
		t.Errorf("named fields: %v %v", f.Estimate, f.Qty)
	}
}

// A table has as many rows as its longest column, and no more than maxFormRows, so a model
// still sees and refuses one row too many.
func TestBindFormBoundsTheRowsOfATable(t *testing.T) {
	t.Parallel()
	var got struct {
		Lines []formLine `form:"lines"`
	}
	body := url.Values{"note": make([]string, maxFormRows+50), "kind": {"a"}}
	app := fiber.New()
	app.Post("/", func(c *fiber.Ctx) error { bindForm(c, &got); return nil })
	req := httptest.NewRequest("POST", "/", strings.NewReader(body.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := app.Test(req); err != nil {
		t.Fatal(err)
	}
	if len(got.Lines) != maxFormRows || got.Lines[0].Kind != "a" || got.Lines[1].Kind != "" {
		t.Errorf("%d rows, first %+v", len(got.Lines), got.Lines[0])
	}
}
