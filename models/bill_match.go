package models

import (
	"fmt"

	"outlay/money"
)

// Matching a bill's lines to its order. Everything is compared in integers: quantities in
// thousandths, prices in minor units, tolerances in basis points, so a value exactly on a
// tolerance is within it and one minor unit (or one thousandth) past it is not.
//
//   - Quantity: what this bill and the order's other billed bills bill of a line together,
//     against what may be billed: what was received (three-way) or ordered (two-way), plus
//     the quantity tolerance's share of it. Billing less is partial billing, never held.
//   - Price: the billed unit price against the ordered one. A price above it is held when it
//     exceeds the ordered price by more than the percentage tolerance, or by more than the
//     absolute tolerance per unit (on bills in the organisation's currency, where that limit
//     is set). A lower price is never held.
//   - Tax: the billed tax rate against the ordered line's. A higher rate is held, with no
//     tolerance (a rate is not approximate, and a bill's tax is money paid like its price);
//     a lower one is never held.

// BillTolerance is how far a bill may stray from its order and still be matched.
type BillTolerance struct {
	// PriceBP: a unit price may exceed the ordered one by this share of it (500 = 5%).
	PriceBP int
	// PriceMinor: and by at most this many minor units per unit; nil for no absolute limit.
	// It applies only to bills in the currency it is set in (AbsoluteCurrency).
	PriceMinor       *int64
	AbsoluteCurrency string
	// QuantityBP: a quantity may exceed what may be billed by this share of it.
	QuantityBP int
}

// OrderLineFacts is what a bill line is matched against: its order line's quantity, price
// and receipts, and what other billed bills already bill of it.
type OrderLineFacts struct {
	OrderedMilli   money.Quantity
	ReceivedMilli  money.Quantity
	BilledMilli    money.Quantity // by the order's other billed bills
	UnitPriceMinor int64
	TaxRateBP      int
}

// LineMatch is the outcome of matching one line.
type LineMatch struct {
	Held bool
	// Note says why the line is held, in the words the clerk and the approver read:
	// "billed 12, received 10"; "unit price 4.20 vs 3.99 ordered, +5.3%".
	Note string
	// PriceVarianceBP is how far the billed unit price is above the ordered one, in basis
	// points of it (rounded, halves up); 0 at or below it.
	PriceVarianceBP int
}

// MatchBillLine matches one bill line (its quantity, unit price in currency, and tax rate) to
// its order line under mode and tol.
func MatchBillLine(mode string, tol BillTolerance, currency string, qty money.Quantity, unitPrice int64, taxRateBP int, o OrderLineFacts) LineMatch {
	var out LineMatch
	var notes []string

	limit, what := o.ReceivedMilli, "received"
	if mode == MatchTwoWay {
		limit, what = o.OrderedMilli, "ordered"
	}
	billed := o.BilledMilli + qty
	// billed > limit × (1 + QuantityBP/10000), in integers.
	if int64(billed)*10000 > int64(limit)*int64(10000+tol.QuantityBP) {
		if o.BilledMilli > 0 {
			notes = append(notes, fmt.Sprintf("billed %s with earlier bills, %s %s", billed, what, limit))
		} else {
			notes = append(notes, fmt.Sprintf("billed %s, %s %s", billed, what, limit))
		}
	}

	if diff := unitPrice - o.UnitPriceMinor; diff > 0 {
		over := o.UnitPriceMinor == 0 || diff*10000 > o.UnitPriceMinor*int64(tol.PriceBP)
		if tol.PriceMinor != nil && currency == tol.AbsoluteCurrency && diff > *tol.PriceMinor {
			over = true
		}
		out.PriceVarianceBP = 10000 // a price where the order had none: treat as +100%
		pct := "new price"
		if o.UnitPriceMinor > 0 {
			out.PriceVarianceBP = int(roundDiv(diff*10000, o.UnitPriceMinor))
			tenths := roundDiv(diff*1000, o.UnitPriceMinor)
			pct = fmt.Sprintf("+%d.%d%%", tenths/10, tenths%10)
		}
		if over {
			notes = append(notes, fmt.Sprintf("unit price %s vs %s ordered, %s",
				money.Money{Minor: unitPrice, Currency: currency}.Plain(), money.Money{Minor: o.UnitPriceMinor, Currency: currency}.Plain(), pct))
		}
	}
	if taxRateBP > o.TaxRateBP {
		notes = append(notes, fmt.Sprintf("tax %s%% vs %s%% ordered", money.FormatRate(taxRateBP), money.FormatRate(o.TaxRateBP)))
	}
	if len(notes) > 0 {
		out.Held = true
		out.Note = notes[0]
		for _, n := range notes[1:] {
			out.Note += "; " + n
		}
	}
	return out
}

// roundDiv is a/b rounded to the nearest integer, halves up, for a ≥ 0 and b > 0.
func roundDiv(a, b int64) int64 { return (2*a + b) / (2 * b) }
