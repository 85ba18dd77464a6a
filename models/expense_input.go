package models

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"outlay"
	"outlay/money"
)

// ExpenseInput is an expense report as its owner typed it, every field a raw string, so that
// the same input can be saved or shown again beside its errors.
type ExpenseInput struct {
	Title      string             `form:"title"`
	Purpose    string             `form:"purpose"`
	Department string             `form:"department"`  // department id, "" for none
	PeriodFrom string             `form:"period_from"` // YYYY-MM-DD
	PeriodTo   string             `form:"period_to"`
	Currency   string             `form:"currency"`
	Lines      []ExpenseLineInput `form:"lines,rows=kind"`
	// FormKey identifies the new-report form this was typed in ("" for none): a form posted
	// twice makes one report.
	FormKey string `form:"form_key"`
	// FormVersion is the version of the stored report an edit form was read at.
	FormVersion
}

// ExpenseLineInput is one line as typed. Which fields count depends on its kind.
type ExpenseLineInput struct {
	Kind     string `form:"kind"`     // LineExpense, LineMileage or LinePerDiem
	Date     string `form:"date"`     // YYYY-MM-DD
	Category string `form:"category"` // category id
	// Expense lines.
	Merchant string `form:"merchant"`
	Amount   string `form:"amount"`
	Tax      string `form:"tax"`
	Currency string `form:"currency"` // "" for the report's
	// The exchange rate, when the line's currency is not the report's: units of the report's
	// currency per unit of the line's, or when RateAs is RatePerReportUnit the other way round.
	Rate          string `form:"rate"`
	RateAs        string `form:"rate_as"`
	Note          string `form:"note"`
	Justification string `form:"justification"`
	Receipt       string `form:"receipt"` // the id of the report's attachment that is this line's receipt
	// Mileage.
	From     string `form:"from"`
	To       string `form:"to"`
	Distance string `form:"distance"`
	Unit     string `form:"unit"`
	// Per diem: days at the destination's rate (a per diem rate id).
	Days        string `form:"days"`
	Destination string `form:"destination"`
}

// RatePerReportUnit is ExpenseLineInput.RateAs for a rate written as units of the line's
// currency per unit of the report's ("1 USD = 25450 VND"), the way a weak currency's rate is
// quoted; any other value is units of the report's currency per unit of the line's.
const RatePerReportUnit = "per_report"

// Blank reports whether nothing was typed on the line: such a line is left out.
func (l ExpenseLineInput) Blank() bool {
	for _, s := range []string{l.Date, l.Category, l.Merchant, l.Amount, l.Tax, l.Rate, l.Note, l.Justification,
		l.Receipt, l.From, l.To, l.Distance, l.Days, l.Destination} {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

// Limits of an expense report.
const (
	MaxExpenseLines = 200
	// MaxFutureDays is how far after today a line's date may be (an invoice's and a
	// receipt's too, refuseAfterToday): expenses are spent, not planned, and a day of slack
	// allows for time zones.
	MaxFutureDays  = 1
	maxPerDiemDays = 366
)

// ExpenseField is the key of a line's field in ValidationErrors: "expense-2-amount" is the
// amount of the form's third row.
func ExpenseField(row int, field string) string { return fmt.Sprintf("expense-%d-%s", row, field) }

// expenseHeader is the parsed header of a report.
type expenseHeader struct {
	Title, Purpose       string
	DepartmentID         *int64
	PeriodFrom, PeriodTo *time.Time
	Currency             string
	FormKey              *string // nil when the form carries none, or one not fit to keep
}

// pricedExpense is a report parsed and priced against the stored rates: what is stored.
type pricedExpense struct {
	expenseHeader
	Lines []ExpenseLine
	Rows  []int // the form row of each line, for messages
	Total int64
}

// priceExpense parses in and prices every line: mileage at the rate in effect on its date,
// per diem at its destination's rate, a line in another currency at the rate typed, and
// marks the lines over their category's limit. reportID is the stored report's id (0 for a
// new one): a line's receipt must be one of its attachments. was is the period as stored,
// which tells a period changed from one typed along (see checkLinesInPeriod). It writes
// nothing.
func priceExpense(tx *gorm.DB, ownerID, reportID int64, was reportPeriod, in ExpenseInput, today time.Time) (pricedExpense, outlay.ValidationErrors, error) {
	verr := outlay.ValidationErrors{}
	var p pricedExpense
	p.Title = strings.TrimSpace(in.Title)
	p.Purpose = strings.TrimSpace(strings.ReplaceAll(in.Purpose, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(p.Title); {
	case n == 0:
		verr.Add("title", "Give the report a title, such as “Berlin client visit”.")
	case n > 200:
		verr.Add("title", tooLong("A report's title", 200, n))
	case !plainText(p.Title):
		verr.Add("title", "Use plain text.")
	}
	if n := utf8.RuneCountInString(p.Purpose); n > 4000 {
		verr.Add("purpose", tooLong("A business purpose", 4000, n))
	} else if !plainText(p.Purpose) {
		verr.Add("purpose", "Use plain text.")
	}
	if id, err := optionalID(strings.TrimSpace(in.Department)); err != nil {
		verr.Add("department", "Choose from the list.")
	} else if id != nil {
		if err := checkChoice(tx, verr, "departments", "department", *id, "Choose an active department from the list."); err != nil {
			return p, nil, err
		}
		p.DepartmentID = id
	}
	p.PeriodFrom = optionalDate(verr, "period_from", in.PeriodFrom)
	p.PeriodTo = optionalDate(verr, "period_to", in.PeriodTo)
	if p.PeriodFrom != nil && p.PeriodTo != nil && p.PeriodTo.Before(*p.PeriodFrom) {
		verr.Add("period_to", "The period ends on or after the day it starts.")
	}
	p.FormKey = formKeyOf(in.FormKey)
	p.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	if !money.ValidCurrency(p.Currency) {
		verr.Add("currency", "Choose a currency: a three-letter ISO code such as USD.")
		return p, verr, nil // nothing can be priced without it
	}
	var kept int
	for row, li := range in.Lines {
		if li.Blank() {
			continue
		}
		if kept++; kept > MaxExpenseLines {
			verr.Add("lines", fmt.Sprintf("A report has at most %d lines.", MaxExpenseLines))
			break
		}
		l, err := priceExpenseLine(tx, verr, row, reportID, li, p.Currency, today)
		if err != nil {
			return p, nil, err
		}
		p.Lines = append(p.Lines, l)
		p.Rows = append(p.Rows, row)
	}
	checkLinesInPeriod(verr, p, was)
	if len(verr) > 0 {
		return p, verr, nil
	}
	if err := markOverLimit(tx, p.Lines, p.Currency, ownerID, reportID); err != nil {
		return p, nil, err
	}
	for _, l := range p.Lines {
		if p.Total += l.ReportMinor; p.Total > money.Max {
			verr.Add("lines", totalTooLarge("expense report"))
			break
		}
	}
	return p, verr, nil
}

// reportPeriod is the days an expense report covers, as its header gives them; either end
// may be left open.
type reportPeriod struct{ From, To *time.Time }

// holds says whether day lies within the period's ends that are set.
func (p reportPeriod) holds(day time.Time) bool {
	return (p.From == nil || !day.Before(*p.From)) && (p.To == nil || !day.After(*p.To))
}

// String is the period as people read it: "1 Nov – 30 Nov 2026", "from 1 Nov 2026",
// "until 30 Nov 2026".
func (p reportPeriod) String() string {
	const day = "2 Jan 2006"
	switch {
	case p.From == nil && p.To == nil:
		return ""
	case p.To == nil:
		return "from " + p.From.Format(day)
	case p.From == nil:
		return "until " + p.To.Format(day)
	case p.From.Equal(*p.To):
		return p.From.Format(day)
	case p.From.Year() == p.To.Year():
		return p.From.Format("2 Jan") + " – " + p.To.Format(day)
	}
	return p.From.Format(day) + " – " + p.To.Format(day)
}

// sameEnd says whether two ends of a period are the same day, or both open.
func sameEnd(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

// checkLinesInPeriod refuses each line of p dated outside the report's period, beside its
// date (a date refused already keeps its own message): a report claims what was spent in the
// days it covers, as its approver reads them. An end of the period changed from the stored
// one (was; every end of a new report's) also says, beside it, how many lines it leaves out,
// since the change of the period is then what went wrong. A report being submitted is
// checked with an empty was, so that every end says it: the approver reads the report
// whole, however long ago its period was typed (a report saved before periods were
// checked may hold such lines). A per diem line covers its days from its date on, so days
// that run past the period's end are refused beside them, as a date is.
func checkLinesInPeriod(verr outlay.ValidationErrors, p pricedExpense, was reportPeriod) {
	period := reportPeriod{p.PeriodFrom, p.PeriodTo}
	if verr.Has("period_from") || verr.Has("period_to") || period.From == nil && period.To == nil {
		return
	}
	var before, after, overrun int
	for i, l := range p.Lines {
		field := ExpenseField(p.Rows[i], "date")
		if verr.Has(field) {
			continue
		}
		if period.holds(l.SpentOn) {
			if perDiemRunsPast(verr, p.Rows[i], l, period.To) {
				overrun++
			}
			continue
		}
		verr.Add(field, "The date is outside this report's period, "+period.String()+": change the date, or the period above.")
		if period.From != nil && l.SpentOn.Before(*period.From) {
			before++
		} else {
			after++
		}
	}
	if before > 0 && !sameEnd(was.From, period.From) {
		verr.Add("period_from", linesOutside(before, "before", period.From)+": start the period earlier, or change "+theirDates(before)+" below.")
	}
	if after > 0 && !sameEnd(was.To, period.To) {
		verr.Add("period_to", linesOutside(after, "after", period.To)+": end the period later, or change "+theirDates(after)+" below.")
	}
	if overrun > 0 && !sameEnd(was.To, period.To) {
		verr.Add("period_to", perDiemsPast(overrun, period.To)+": end the period later, or shorten "+theirDays(overrun)+" below.")
	}
}

// perDiemRunsPast refuses, beside its days, the per diem line l of form row row whose days
// run past last, the period's last day (nil: the period has no end), and says whether it
// did. A line dated within the period can still claim days after it: three days from
// 29 Nov in a period ending on 30 Nov claim 1 Dec.
func perDiemRunsPast(verr outlay.ValidationErrors, row int, l ExpenseLine, last *time.Time) bool {
	field := ExpenseField(row, "days")
	if l.Kind != LinePerDiem || l.Days == nil || last == nil || verr.Has(field) {
		return false
	}
	if !l.SpentOn.AddDate(0, 0, *l.Days-1).After(*last) {
		return false
	}
	within := int(last.Sub(l.SpentOn).Hours()/24) + 1
	verr.Add(field, "The days run past this report's period, which ends on "+last.Format("2 Jan 2006")+": claim at most "+
		pluralDays(within)+", or end the period later above.")
	return true
}

// perDiemsPast says how many per diem lines claim days after day: "2 per diem lines run
// past 30 Nov 2026".
func perDiemsPast(n int, day *time.Time) string {
	if n == 1 {
		return "1 per diem line runs past " + day.Format("2 Jan 2006")
	}
	return fmt.Sprintf("%d per diem lines run past %s", n, day.Format("2 Jan 2006"))
}

// theirDays names the days of n per diem lines: "its days", "their days".
func theirDays(n int) string {
	if n == 1 {
		return "its days"
	}
	return "their days"
}

// linesOutside says how many lines are dated on which side of day: "2 lines are dated
// before 1 Nov 2026".
func linesOutside(n int, side string, day *time.Time) string {
	if n == 1 {
		return "1 line is dated " + side + " " + day.Format("2 Jan 2006")
	}
	return fmt.Sprintf("%d lines are dated %s %s", n, side, day.Format("2 Jan 2006"))
}

// theirDates names the dates of n lines: "the line's date", "their dates".
func theirDates(n int) string {
	if n == 1 {
		return "the line's date"
	}
	return "their dates"
}

// optionalDate parses a date that may be left empty.
func optionalDate(verr outlay.ValidationErrors, field, s string) *time.Time {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	t := parseDate(verr, field, s)
	if _, bad := verr[field]; bad {
		return nil
	}
	return &t
}

// priceExpenseLine parses and prices one line; its refusals are added to verr beside the
// line's fields.
func priceExpenseLine(tx *gorm.DB, verr outlay.ValidationErrors, row int, reportID int64, in ExpenseLineInput, reportCurrency string, today time.Time) (ExpenseLine, error) {
	f := func(name string) string { return ExpenseField(row, name) }
	l := ExpenseLine{Kind: in.Kind, Currency: reportCurrency, Rate: money.RateOf(1, 0)}
	switch in.Kind {
	case LineExpense, LineMileage, LinePerDiem:
	default:
		verr.Add(f("kind"), "Choose an expense, mileage or per diem line.")
		return l, nil
	}
	l.SpentOn = parseDate(verr, f("date"), in.Date)
	if _, bad := verr[f("date")]; !bad {
		refuseAfterToday(verr, f("date"), l.SpentOn, today, "enter the day the money was spent.")
	}
	var cat ExpenseCategory
	if id, err := optionalID(strings.TrimSpace(in.Category)); err != nil || id == nil {
		verr.Add(f("category"), "Choose a category from the list.")
	} else if err := tx.Where("archived_at IS NULL").Limit(1).Find(&cat, *id).Error; err != nil {
		return l, err
	} else if cat.ID == 0 {
		verr.Add(f("category"), "Choose a category from the list.")
	} else {
		l.CategoryID, l.GLAccountID = cat.ID, &cat.GLAccountID
	}
	l.Note = strings.TrimSpace(in.Note)
	l.Justification = strings.TrimSpace(in.Justification)
	for _, t := range []struct{ field, what, value string }{{"note", "A note", l.Note}, {"justification", "A justification", l.Justification}} {
		if n := utf8.RuneCountInString(t.value); n > 1000 {
			verr.Add(f(t.field), tooLong(t.what, 1000, n))
		} else if !plainText(t.value) {
			verr.Add(f(t.field), "Use plain text.")
		}
	}
	switch in.Kind {
	case LineExpense:
		l.Merchant = strings.TrimSpace(in.Merchant)
		if !hasVisible(l.Merchant) {
			verr.Add(f("merchant"), "Say where the money was spent.")
		} else if n := utf8.RuneCountInString(l.Merchant); n > 200 {
			verr.Add(f("merchant"), tooLong("A merchant's name", 200, n))
		} else if !plainText(l.Merchant) {
			verr.Add(f("merchant"), "Use plain text.")
		}
		if c := strings.ToUpper(strings.TrimSpace(in.Currency)); c != "" {
			if !money.ValidCurrency(c) {
				verr.Add(f("currency"), "Choose a currency: a three-letter ISO code such as EUR.")
			} else {
				l.Currency = c
			}
		}
		l.AmountMinor = parseAmount(verr, f("amount"), in.Amount, l.Currency, true)
		if strings.TrimSpace(in.Tax) != "" {
			l.TaxMinor = parseAmount(verr, f("tax"), in.Tax, l.Currency, false)
			if _, bad := verr[f("amount")]; !bad && l.TaxMinor > l.AmountMinor {
				verr.Add(f("tax"), "Tax is part of the amount, so it cannot be more than the amount.")
			}
		}
	case LineMileage:
		l.FromPlace, l.ToPlace = strings.TrimSpace(in.From), strings.TrimSpace(in.To)
		if l.FromPlace == "" {
			verr.Add(f("from"), "Say where the trip started.")
		}
		if l.ToPlace == "" {
			verr.Add(f("to"), "Say where the trip went.")
		}
		for name, v := range map[string]string{"from": l.FromPlace, "to": l.ToPlace} {
			if n := utf8.RuneCountInString(v); n > 200 {
				verr.Add(f(name), tooLong("A place's name", 200, n))
			} else if !plainText(v) {
				verr.Add(f(name), "Use plain text.")
			}
		}
		d, err := money.ParseQuantity(in.Distance)
		if err != nil {
			verr.Add(f("distance"), err.Error())
		} else if d > 100_000_000 {
			verr.Add(f("distance"), "Enter a distance of at most 100,000.")
		}
		unit := strings.TrimSpace(in.Unit)
		if unit != UnitKm && unit != UnitMile {
			verr.Add(f("unit"), "Choose km or miles.")
		}
		if _, bad := verr[f("date")]; bad || verr[f("distance")] != "" || verr[f("unit")] != "" {
			break
		}
		rate, err := MileageRateOn(tx, unit, l.SpentOn)
		if err != nil {
			return l, err
		}
		if rate == nil {
			verr.Add(f("distance"), fmt.Sprintf("No mileage rate per %s is in effect on %s: ask an admin to set one.", unitName(unit), l.SpentOn.Format("2 Jan 2006")))
			break
		}
		amount, err := money.Distance(d, rate.RateMilli)
		if err != nil {
			verr.Add(f("distance"), "Enter a shorter distance.")
			break
		}
		if amount == 0 {
			// A distance so short that it pays nothing would be a line of nothing on a report
			// (a per diem line cannot be: it is at least a day at a rate above zero).
			verr.Add(f("distance"), fmt.Sprintf("%s %s at %s per %s comes to less than %s: enter the distance travelled.",
				d, unit, money.FormatUnitRate(rate.RateMilli, rate.Currency), unitName(unit), money.Money{Minor: 1, Currency: rate.Currency}))
			break
		}
		l.DistanceMilli, l.Unit, l.MileageRateID, l.UnitRate = &d, &unit, &rate.ID, &rate.RateMilli
		l.Currency, l.AmountMinor = rate.Currency, amount
	case LinePerDiem:
		days, err := strconv.Atoi(strings.TrimSpace(in.Days))
		if err != nil || days < 1 || days > maxPerDiemDays {
			verr.Add(f("days"), fmt.Sprintf("Enter a whole number of days from 1 to %d.", maxPerDiemDays))
		}
		var rate PerDiemRate
		if id, err := optionalID(strings.TrimSpace(in.Destination)); err != nil || id == nil {
			verr.Add(f("destination"), "Choose a destination from the list.")
		} else if err := tx.Where("archived_at IS NULL").Limit(1).Find(&rate, *id).Error; err != nil {
			return l, err
		} else if rate.ID == 0 {
			verr.Add(f("destination"), "Choose a destination from the list.")
		}
		if verr[f("days")] != "" || rate.ID == 0 {
			break
		}
		l.Days, l.PerDiemRateID, l.UnitRate = &days, &rate.ID, &rate.DailyMinor
		l.Merchant, l.Currency, l.AmountMinor = rate.Destination, rate.Currency, int64(days)*rate.DailyMinor
	}
	if l.Currency != reportCurrency {
		l.RateInverted = in.RateAs == RatePerReportUnit
		switch r, err := money.ParseExchangeRate(in.Rate); {
		case strings.TrimSpace(in.Rate) == "" && l.RateInverted:
			verr.Add(f("rate"), fmt.Sprintf("Enter the exchange rate: how many %s one %s was worth.", l.Currency, reportCurrency))
		case strings.TrimSpace(in.Rate) == "":
			verr.Add(f("rate"), fmt.Sprintf("Enter the exchange rate: how many %s one %s was worth.", reportCurrency, l.Currency))
		case err != nil:
			verr.Add(f("rate"), err.Error())
		default:
			l.Rate = r
		}
	}
	if r, err := optionalID(strings.TrimSpace(in.Receipt)); err != nil {
		verr.Add(f("receipt"), "Choose a receipt attached to this report.")
	} else if r != nil {
		// A receipt is a photo or a PDF attached to this report, as attaching one on the line
		// checks: any other file of the report (notes, a spreadsheet) is not one.
		var types []string
		if err := tx.Model(&Attachment{}).Where("id = ? AND doc_type = ? AND doc_id = ? AND deleted_at IS NULL", *r, DocExpense, reportID).
			Pluck("content_type", &types).Error; err != nil {
			return l, err
		}
		switch {
		case len(types) == 0:
			verr.Add(f("receipt"), "Choose a receipt attached to this report.")
		case !ReceiptType(types[0]):
			verr.Add(f("receipt"), "A receipt must be a photo (JPEG, PNG, WebP or GIF) or a PDF: attach one to this line.")
		}
		l.ReceiptID = r
	}
	for _, k := range []string{"amount", "distance", "days", "destination", "rate", "currency"} {
		if verr[f(k)] != "" {
			return l, nil
		}
	}
	converted, err := l.ToReport(l.Amount(), reportCurrency)
	if err != nil {
		verr.Add(f("amount"), "Enter a smaller amount.")
		return l, nil
	}
	if converted.Minor == 0 {
		// An amount that converts to less than the report currency's smallest unit would be a
		// line of nothing on the report, as a mileage line too short to pay is (above). Only a
		// line in another currency gets here: every amount is above zero in its own.
		field := "rate"
		if l.Kind == LineExpense {
			field = "amount"
		}
		verr.Add(f(field), fmt.Sprintf("%s at %s comes to less than %s: check the amount and the rate.",
			l.Amount(), l.RateText(reportCurrency), money.Money{Minor: 1, Currency: reportCurrency}))
		return l, nil
	}
	l.ReportMinor = converted.Minor
	return l, nil
}

func unitName(unit string) string {
	if unit == UnitMile {
		return "mile"
	}
	return "km"
}

// parseAmount reads a money amount of a line; required amounts must be above zero.
func parseAmount(verr outlay.ValidationErrors, field, s, currency string, required bool) int64 {
	if strings.TrimSpace(s) == "" {
		if required {
			verr.Add(field, "Enter the amount.")
		}
		return 0
	}
	m, err := money.Parse(s, currency)
	switch {
	case err != nil:
		verr.Add(field, err.Error())
	case m.Minor < 0:
		verr.Add(field, "An amount cannot be negative.")
	case m.Minor == 0 && required:
		verr.Add(field, "Enter an amount above zero.")
	case m.Minor > money.Max:
		verr.Add(field, "Enter a smaller amount.")
	default:
		return m.Minor
	}
	return 0
}

// MileageRateOn is the rate per unit in effect on day: the one with the latest day of
// effect on or before it; nil when there is none.
func MileageRateOn(tx *gorm.DB, unit string, day time.Time) (*MileageRate, error) {
	var r MileageRate
	err := tx.Where("unit = ? AND effective_from <= ? AND archived_at IS NULL", unit, day.Format(DateLayout)).
		Order("effective_from DESC").Limit(1).Find(&r).Error
	if err != nil || r.ID == 0 {
		return nil, err
	}
	return &r, nil
}

// markOverLimit marks the lines over their category's limit. A limit is compared with the
// line in the limit's currency: the report's amount when the report is in it, otherwise the
// line's own amount when the line is in it. A line in neither cannot be compared, and is
// marked as one over it: it needs its reason, and its approver is told it was not compared
// (filing a report in another currency must not be a way past the limits). A per-day limit applies to the report's lines of one category and date together:
// when they add up to more, each of them is marked. The day's lines of the person's other
// claims (reports submitted, approved, scheduled or paid) count towards it too: a day's meals
// split over two reports are the day's meals.
func markOverLimit(tx *gorm.DB, lines []ExpenseLine, reportCurrency string, ownerID, reportID int64) error {
	ids := map[int64]bool{}
	for _, l := range lines {
		ids[l.CategoryID] = true
	}
	if len(ids) == 0 {
		return nil
	}
	var cats []ExpenseCategory
	keys := make([]int64, 0, len(ids))
	for id := range ids {
		keys = append(keys, id)
	}
	if err := tx.Where("id IN ?", keys).Find(&cats).Error; err != nil {
		return err
	}
	byID := map[int64]ExpenseCategory{}
	for _, c := range cats {
		byID[c.ID] = c
	}
	type dayKey struct {
		cat int64
		day string
	}
	inLimit := func(l ExpenseLine, c ExpenseCategory) (int64, bool) {
		switch c.Currency {
		case reportCurrency:
			return l.ReportMinor, true
		case l.Currency:
			return l.AmountMinor, true
		}
		return 0, false
	}
	perDay := map[dayKey]int64{}
	var dailyCats []int64
	var days []string
	for _, l := range lines {
		c := byID[l.CategoryID]
		if c.LimitPer == nil || *c.LimitPer != LimitPerDay {
			continue
		}
		if v, ok := inLimit(l, c); ok {
			day := l.SpentOn.Format(DateLayout)
			perDay[dayKey{c.ID, day}] += v
			dailyCats, days = append(dailyCats, c.ID), append(days, day)
		}
	}
	if len(dailyCats) > 0 && ownerID != 0 {
		var others []struct {
			CategoryID int64
			Day        string
			Amount     int64
		}
		// In the limit's currency, as inLimit reads it; a line in neither is not added.
		err := tx.Raw(`SELECT l.category_id, to_char(l.spent_on, 'YYYY-MM-DD') AS day,
				sum(CASE WHEN r.currency = c.currency THEN l.report_minor WHEN l.currency = c.currency THEN l.amount_minor ELSE 0 END) AS amount
			FROM expense_lines l JOIN expense_reports r ON r.id = l.report_id JOIN expense_categories c ON c.id = l.category_id
			WHERE r.owner_id = ? AND r.id <> ? AND r.status IN ? AND l.category_id IN ? AND l.spent_on IN ?
			GROUP BY 1, 2`, ownerID, reportID, []string{ExpenseSubmitted, ExpenseApproved, ExpenseScheduled, ExpensePaid},
			dailyCats, days).Scan(&others).Error
		if err != nil {
			return err
		}
		for _, o := range others {
			if k := (dayKey{o.CategoryID, o.Day}); perDay[k] != 0 {
				perDay[k] += o.Amount
			}
		}
	}
	for i := range lines {
		l := &lines[i]
		c := byID[l.CategoryID]
		l.OverLimit = false
		if c.LimitMinor == nil || c.LimitPer == nil {
			continue
		}
		v, ok := inLimit(*l, c)
		if !ok {
			l.OverLimit = true
			continue
		}
		if *c.LimitPer == LimitPerDay {
			v = perDay[dayKey{c.ID, l.SpentOn.Format(DateLayout)}]
		}
		l.OverLimit = v > *c.LimitMinor
	}
	return nil
}

// ExpenseLive is a report priced as it is being typed, for the form's live total: each form
// row's amount in the report's currency (nil while the row cannot be priced yet, or is blank)
// and the total of the rows that can. Saving prices the report again and is the truth.
type ExpenseLive struct {
	Currency   string // "" while the report's currency cannot be read
	Lines      []*int64
	Total      int64
	Incomplete int // rows typed into that cannot be priced yet
	// RatesGood says per row that its exchange rate is settled: the row's currency is known
	// and is the report's, or the rate typed reads. False for a row left blank, and while the
	// report's currency cannot be read.
	RatesGood []bool
}

// PriceExpenseLive prices in as priceExpense would, row by row, ignoring every refusal but
// those that keep a row from being priced. It writes nothing.
func PriceExpenseLive(ctx context.Context, db *gorm.DB, in ExpenseInput) (ExpenseLive, error) {
	tx := db.WithContext(ctx)
	var out ExpenseLive
	cur := strings.ToUpper(strings.TrimSpace(in.Currency))
	if !money.ValidCurrency(cur) {
		return out, nil
	}
	out.Currency = cur
	day := today()
	for row, li := range in.Lines {
		if row >= MaxExpenseLines || li.Blank() {
			out.Lines = append(out.Lines, nil)
			out.RatesGood = append(out.RatesGood, false)
			continue
		}
		verr := outlay.ValidationErrors{}
		l, err := priceExpenseLine(tx, verr, row, 0, li, cur, day)
		if err != nil {
			return out, err
		}
		out.RatesGood = append(out.RatesGood, l.Currency != "" && !verr.Has(ExpenseField(row, "currency")) && !verr.Has(ExpenseField(row, "rate")))
		priced := true
		for _, k := range []string{"kind", "amount", "distance", "unit", "days", "destination", "rate", "currency"} {
			priced = priced && !verr.Has(ExpenseField(row, k))
		}
		if li.Kind == LineMileage && verr.Has(ExpenseField(row, "date")) {
			priced = false // its rate is the one of its date
		}
		if !priced || out.Total+l.ReportMinor > money.Max {
			out.Lines = append(out.Lines, nil)
			out.Incomplete++
			continue
		}
		amount := l.ReportMinor
		out.Lines = append(out.Lines, &amount)
		out.Total += amount
	}
	return out, nil
}
