package models

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"outlay"
	"outlay/money"
)

// RequisitionInput is a requisition as its requester typed it: every field a raw string, so
// that the same input can be priced for the live total, saved as a draft, or shown again
// beside its errors.
type RequisitionInput struct {
	Department    string      `form:"department"` // department id, "" for none
	Vendor        string      `form:"vendor"`     // vendor id, "" for none
	Location      string      `form:"location"`   // delivery location id, "" for none
	NeededBy      string      `form:"needed_by"`  // YYYY-MM-DD, "" for none
	Justification string      `form:"justification"`
	Lines         []LineInput `form:"lines"`
	// FormKey identifies the new-requisition form this was typed in ("" for none): a form
	// posted twice makes one requisition.
	FormKey string `form:"form_key"`
	// FormVersion is the version of the stored requisition an edit form was read at.
	FormVersion
}

// LineInput is one line as typed.
type LineInput struct {
	Description string `form:"description"`
	Quantity    string `form:"quantity"`
	UnitPrice   string `form:"unit_price"`
	TaxRate     string `form:"tax_rate"`   // percent, "" for none
	GLAccount   string `form:"gl_account"` // GL account id, "" for none
}

// Blank reports whether nothing was typed on the line: such a line is left out, not refused,
// so an unused new row never stops a save. Its GL account does not count: a new row starts
// on the department's default account before anything is typed on it.
func (l LineInput) Blank() bool {
	return strings.TrimSpace(l.Description) == "" && strings.TrimSpace(l.Quantity) == "" &&
		strings.TrimSpace(l.UnitPrice) == "" && strings.TrimSpace(l.TaxRate) == ""
}

// Limits of a requisition's text and size.
const (
	MaxRequisitionLines  = 100
	MaxLineDescription   = 500
	MaxJustificationRune = 4000
)

// LineField is the key of a line's field in ValidationErrors: "line-2-quantity" is the
// quantity of the form's third row. Views spell the same key to put the message beside it.
func LineField(row int, field string) string { return fmt.Sprintf("line-%d-%s", row, field) }

// PricedLine is a line parsed and priced: what is stored.
type PricedLine struct {
	Row         int // index of the line in the input, for messages
	Description string
	Quantity    money.Quantity
	UnitPrice   int64 // minor units
	TaxRateBP   int
	GLAccountID *int64
	Amount      int64
	Tax         int64
}

// PricedLines are a requisition's non-blank lines and their totals, in one currency.
type PricedLines struct {
	Currency string
	Lines    []PricedLine
	Totals   money.Totals
}

// PriceLines parses every non-blank line in currency and computes the totals with
// money.Compute. Each malformed field gets a message under its LineField key; a line that
// cannot be priced adds nothing to the totals, so the live total can still show the rest.
// The returned errors are empty exactly when every non-blank line is complete and valid.
// noun names the document the lines are of ("requisition", "bill") in the refusal of a
// total too large.
func PriceLines(lines []LineInput, currency, noun string) (PricedLines, outlay.ValidationErrors) {
	verr := outlay.ValidationErrors{}
	out := PricedLines{Currency: currency}
	if len(lines) > MaxRequisitionLines {
		verr.Add("lines", fmt.Sprintf("A requisition has at most %d lines.", MaxRequisitionLines))
		lines = lines[:MaxRequisitionLines]
	}
	for i, in := range lines {
		if in.Blank() {
			continue
		}
		if l, ok := parseLine(verr, i, in, currency); ok {
			out.Lines = append(out.Lines, l)
		}
	}
	computed := make([]money.Line, len(out.Lines))
	for i, l := range out.Lines {
		computed[i] = money.Line{Quantity: l.Quantity, UnitPrice: l.UnitPrice, TaxRateBP: l.TaxRateBP}
	}
	totals, err := money.Compute(computed)
	if err != nil {
		verr.Add("lines", totalTooLarge(noun))
		out.Lines = nil
		return out, verr
	}
	for i := range out.Lines {
		out.Lines[i].Amount, out.Lines[i].Tax = totals.Lines[i].Amount, totals.Lines[i].Tax
	}
	out.Totals = totals
	return out, verr
}

// parseLine reads one non-blank line; ok is false when it cannot be priced.
func parseLine(verr outlay.ValidationErrors, row int, in LineInput, currency string) (PricedLine, bool) {
	l := PricedLine{Row: row, Description: strings.TrimSpace(in.Description)}
	ok := true
	switch n := utf8.RuneCountInString(l.Description); {
	case !hasVisible(l.Description):
		verr.Add(LineField(row, "description"), "Describe the item.")
	case n > MaxLineDescription:
		verr.Add(LineField(row, "description"), tooLong("An item's description", MaxLineDescription, n))
	case !utf8.ValidString(l.Description) || strings.ContainsRune(l.Description, 0):
		verr.Add(LineField(row, "description"), "Use plain text.")
	}
	if strings.TrimSpace(in.Quantity) == "" {
		verr.Add(LineField(row, "quantity"), "Enter a quantity.")
		ok = false
	} else if q, err := money.ParseQuantity(in.Quantity); err != nil {
		verr.Add(LineField(row, "quantity"), err.Error())
		ok = false
	} else {
		l.Quantity = q
	}
	if strings.TrimSpace(in.UnitPrice) == "" {
		verr.Add(LineField(row, "unit_price"), "Enter a unit price.")
		ok = false
	} else if m, err := money.Parse(in.UnitPrice, currency); err != nil {
		verr.Add(LineField(row, "unit_price"), err.Error())
		ok = false
	} else if m.Minor < 0 {
		verr.Add(LineField(row, "unit_price"), "Enter a price of zero or more.")
		ok = false
	} else if m.Minor > money.Max {
		verr.Add(LineField(row, "unit_price"), "Enter a smaller price.")
		ok = false
	} else {
		l.UnitPrice = m.Minor
	}
	if strings.TrimSpace(in.TaxRate) != "" {
		bp, err := money.ParseRate(in.TaxRate)
		if err != nil {
			verr.Add(LineField(row, "tax_rate"), err.Error())
			ok = false
		}
		l.TaxRateBP = bp
	}
	if id, err := optionalID(in.GLAccount); err != nil {
		verr.Add(LineField(row, "gl_account"), "Choose from the list.")
	} else {
		l.GLAccountID = id
	}
	if ok {
		if _, err := money.LineAmount(l.Quantity, l.UnitPrice); err != nil {
			verr.Add(LineField(row, "unit_price"), "This line's amount is too large.")
			ok = false
		}
	}
	return l, ok
}

// optionalID reads a select's id: "" chooses nothing; anything else must be a positive number.
func optionalID(s string) (*int64, error) {
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return nil, errors.New("not an id")
	}
	return &n, nil
}

// requisitionHeader is the header of a RequisitionInput, parsed.
type requisitionHeader struct {
	DepartmentID  *int64
	VendorID      *int64
	LocationID    *int64
	NeededBy      *time.Time
	Justification string
	FormKey       *string
}

// parseHeader reads the header's fields, adding a message for each malformed one.
func parseHeader(verr outlay.ValidationErrors, in RequisitionInput) requisitionHeader {
	var h requisitionHeader
	var err error
	for _, f := range []struct {
		name  string
		value string
		dst   **int64
	}{{"department", in.Department, &h.DepartmentID}, {"vendor", in.Vendor, &h.VendorID}, {"location", in.Location, &h.LocationID}} {
		if *f.dst, err = optionalID(f.value); err != nil {
			verr.Add(f.name, "Choose from the list.")
		}
	}
	if s := strings.TrimSpace(in.NeededBy); s != "" {
		if d, err := ParseDay(s); err != nil {
			verr.Add("needed_by", err.Error())
		} else {
			h.NeededBy = &d
		}
	}
	h.FormKey = formKeyOf(in.FormKey)
	h.Justification = strings.TrimSpace(in.Justification)
	if n := utf8.RuneCountInString(h.Justification); n > MaxJustificationRune {
		verr.Add("justification", tooLong("A justification", MaxJustificationRune, n))
	} else if !utf8.ValidString(h.Justification) || strings.ContainsRune(h.Justification, 0) {
		verr.Add("justification", "Use plain text.")
	}
	return h
}
