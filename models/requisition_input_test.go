package models_test

import (
	"strings"
	"testing"

	"outlay/models"
	"outlay/money"
)

// FuzzRequisitionLines feeds the requisition form's line parsing anything at all: every
// submission either gets messages beside known fields, or lines whose stored amounts and
// totals are exactly what money.Compute makes of them. Either way the totals add up.
//
//	go test ./models -run '^$' -fuzz FuzzRequisitionLines -fuzztime 30s
func FuzzRequisitionLines(f *testing.F) {
	f.Add("Desk", "2", "199.99", "20", "1", "Chair", "2.5", "80", "", "", uint8(0))
	f.Add("", "", "", "", "", "Pens", "1,000", "0.005", "7.25", "x", uint8(6))
	f.Add("A", "0", "-1", "101", "0", "B", "999999999999", "99999999999999", "100", "3", uint8(1))
	f.Add("Ω", "0.001", "¥5", "0", "2", "\x00", "1e3", "$1,234.56", "0.01", "-4", uint8(6))
	f.Fuzz(func(t *testing.T, d1, q1, p1, r1, g1, d2, q2, p2, r2, g2 string, cur uint8) {
		currency := money.Currencies[int(cur)%len(money.Currencies)]
		in := []models.LineInput{
			{Description: d1, Quantity: q1, UnitPrice: p1, TaxRate: r1, GLAccount: g1},
			{Description: d2, Quantity: q2, UnitPrice: p2, TaxRate: r2, GLAccount: g2},
		}
		priced, verr := models.PriceLines(in, currency, "requisition")
		var sub, tax int64
		for _, l := range priced.Lines {
			sub += l.Amount
			tax += l.Tax
		}
		if priced.Totals.Subtotal != sub || priced.Totals.Tax != tax || priced.Totals.Total != sub+tax {
			t.Fatalf("totals %+v do not add up from lines %+v", priced.Totals, priced.Lines)
		}
		if len(verr) > 0 {
			for k := range verr {
				if k != "lines" && !strings.HasPrefix(k, "line-0-") && !strings.HasPrefix(k, "line-1-") {
					t.Fatalf("message under unknown key %q", k)
				}
			}
			return
		}
		want := make([]money.Line, len(priced.Lines))
		for i, l := range priced.Lines {
			if l.Quantity <= 0 || l.UnitPrice < 0 || l.TaxRateBP < 0 || l.TaxRateBP > 10000 || l.Description == "" {
				t.Fatalf("accepted an impossible line %+v", l)
			}
			want[i] = money.Line{Quantity: l.Quantity, UnitPrice: l.UnitPrice, TaxRateBP: l.TaxRateBP}
		}
		computed, err := money.Compute(want)
		if err != nil {
			t.Fatalf("accepted lines money.Compute refuses: %v", err)
		}
		if computed.Subtotal != priced.Totals.Subtotal || computed.Tax != priced.Totals.Tax || computed.Total != priced.Totals.Total || computed.Total > money.Max {
			t.Fatalf("totals %+v, money.Compute says %+v", priced.Totals, computed)
		}
		for i, l := range priced.Lines {
			if computed.Lines[i].Amount != l.Amount || computed.Lines[i].Tax != l.Tax {
				t.Fatalf("line %d: %d+%d, money.Compute says %+v", i, l.Amount, l.Tax, computed.Lines[i])
			}
		}
		blank := 0
		for _, l := range in {
			if l.Blank() {
				blank++
			}
		}
		if len(priced.Lines)+blank != len(in) {
			t.Fatalf("%d lines priced, %d blank, of %d", len(priced.Lines), blank, len(in))
		}
	})
}
