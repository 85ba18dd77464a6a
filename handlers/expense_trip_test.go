package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"outlay/models"
)

// tripReportSite is a trip site with expense categories mapped to the estimate (Per diem as
// meals, Airfare as airfare) and a per diem rate for Paris, and an approved trip of Tess's to
// Paris leaving tomorrow for three days.
type tripReportSite struct {
	*tripSite
	perDiem, airfare models.ExpenseCategory
	paris            models.PerDiemRate
	trip             models.TravelRequest
}

func newTripReportSite(t *testing.T) *tripReportSite {
	t.Helper()
	s := &tripReportSite{tripSite: newTripSite(t)}
	db := s.db(t)
	meals, air := models.CostMeals, models.CostAirfare
	s.perDiem = models.ExpenseCategory{Name: "Per diem", GLAccountID: s.gl, Currency: "USD", TripCost: &meals}
	s.airfare = models.ExpenseCategory{Name: "Airfare", GLAccountID: s.gl, Currency: "USD", TripCost: &air}
	s.paris = models.PerDiemRate{Destination: "Paris", DailyMinor: 9000, Currency: "USD"}
	for _, v := range []any{&s.perDiem, &s.airfare, &s.paris} {
		if err := db.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	f := s.tripForm()
	f.Set("intent", "submit")
	f["depart_on"] = []string{tripDay(1), tripDay(3)}
	s.trip = s.save(t, s.tessC, f)
	if res := approvalPost(s.moC, stepURL(s.pendingStep(t, s.trip.ID).ID, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("approve the trip: %d", res.Status)
	}
	return s
}

// "Start expense report" on an approved trip makes the traveller's draft with the trip's
// purpose, dates and per diem days, and opens it; the report shows actual against estimate
// per category, and so does its approver's step. Only the traveller or filer may start it;
// a second start opens the report the trip has.
func TestStartExpenseReportFromTheTrip(t *testing.T) {
	t.Parallel()
	s := newTripReportSite(t)
	tripPath := "/travel/" + ids(s.trip.ID)
	start := tripPath + "/expense-report"
	page := s.tessC.Get(tripPath)
	if page.Doc.Find(`form[action="`+start+`"] button`).Text() != "Start expense report" {
		t.Fatalf("the approved trip offers no start: %s", page.Text(".page-header"))
	}
	if n := s.audiC.Get(tripPath).Doc.Find(`form[action="` + start + `"]`).Length(); n != 0 {
		t.Errorf("the auditor is offered to start the traveller's report")
	}
	if res := s.coleC.Post(start, url.Values{}); res.Status != http.StatusNotFound {
		t.Errorf("a colleague starting it: %d", res.Status)
	}
	res := s.tessC.Post(start, url.Values{})
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/expenses/") {
		t.Fatalf("start: %d %q", res.Status, res.Location())
	}
	report := res.Location()
	form := s.tessC.Get(report)
	if msg := form.Text(".flash-success"); !strings.HasPrefix(msg, "Started the trip's expense report") {
		t.Errorf("flash %q", msg)
	}
	for sel, want := range map[string]string{
		"#title": "Trip TRV-000001: Paris, Boston", "#period_from": tripDay(1), "#period_to": tripDay(3),
		"#expense-0-days": "3", "#expense-0-date": tripDay(1),
	} {
		if got := form.Doc.Find(sel).AttrOr("value", ""); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if got := form.Text("#purpose"); got != "Trade fair in Paris" {
		t.Errorf("purpose %q", got)
	}
	if got := form.Doc.Find("#expense-0-destination option[selected]").AttrOr("value", ""); got != ids(s.paris.ID) {
		t.Errorf("per diem destination %q", got)
	}
	costs := form.Text("#trip-costs")
	for _, want := range []string{"Meals and per diem", "$120.00", "$270.00", "$150.00 over", "Airfare", "$900.00 under", "Total"} {
		if !strings.Contains(costs, want) {
			t.Errorf("actual against estimate lacks %q: %s", want, costs)
		}
	}

	// A second start opens the report the trip has; the trip links it.
	again := s.tessC.Post(start, url.Values{})
	if again.Status != http.StatusSeeOther || again.Location() != report {
		t.Errorf("second start: %d %q, want %q", again.Status, again.Location(), report)
	}
	if msg := s.tessC.Get(report).Text(".flash"); !strings.Contains(msg, "already has an expense report") {
		t.Errorf("second start says %q", msg)
	}
	link := s.tessC.Get(tripPath).Doc.Find("a.trip-report-link")
	if href, _ := link.Attr("href"); href != report || !strings.Contains(link.Text(), "Draft") {
		t.Errorf("trip's link to its report: %q %q", href, link.Text())
	}
	var n int64
	s.db(t).Model(&models.ExpenseReport{}).Count(&n)
	if n != 1 {
		t.Errorf("%d reports", n)
	}

	// Submitted, its approver reads the same comparison beside the lines.
	sub := url.Values{"title": {"Paris trade fair"}, "purpose": {"Trade fair in Paris"}, "department": {ids(s.dept)},
		"period_from": {tripDay(1)}, "period_to": {tripDay(3)}, "currency": {"USD"}, "intent": {"submit"}}
	for k, v := range map[string]string{"kind": "per_diem", "date": tripDay(1), "category": ids(s.perDiem.ID), "days": "3",
		"destination": ids(s.paris.ID), "merchant": "", "amount": "", "tax": "", "currency": "", "rate": "", "note": "",
		"justification": "", "receipt": "", "from": "", "to": "", "distance": "", "unit": ""} {
		sub.Add(k, v)
	}
	if res := s.tessC.Post(report, sub); res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.Status, res.Text(".field-error"))
	}
	var st models.ApprovalStep
	if err := s.db(t).Where("doc_type = ? AND status = ?", models.DocExpense, models.StepPending).Take(&st).Error; err != nil {
		t.Fatal(err)
	}
	details := approvalGet(s.moC, stepURL(st.ID, ""))
	if got := details.Text("#trip-costs"); !strings.Contains(got, "$150.00 over") || !strings.Contains(got, "Meals and per diem") {
		t.Errorf("approver's comparison: %q", got)
	}
	if got := s.tessC.Get(report).Text("#trip-costs"); !strings.Contains(got, "$270.00") {
		t.Errorf("submitted report's comparison: %q", got)
	}
}

// The forms' totals follow what is typed: the report's total and each line's amount, the
// trip's estimate; a line that cannot be priced yet is left out and said so. Nothing is
// stored.
func TestFormsTotalsFollowTheTyping(t *testing.T) {
	t.Parallel()
	s := newTripReportSite(t)
	f := url.Values{"title": {"x"}, "currency": {"USD"}}
	for _, l := range []map[string]string{
		{"kind": "expense", "date": tripDay(0), "category": ids(s.airfare.ID), "merchant": "Air France", "amount": "412.30"},
		{"kind": "expense", "date": tripDay(0), "category": ids(s.airfare.ID), "merchant": "Taxi", "amount": "12,x"},
		{"kind": "per_diem", "date": tripDay(0), "category": ids(s.perDiem.ID), "days": "2", "destination": ids(s.paris.ID)},
	} {
		for _, k := range []string{"kind", "date", "category", "merchant", "amount", "tax", "currency", "rate", "note", "justification",
			"receipt", "from", "to", "distance", "unit", "days", "destination"} {
			f.Add(k, l[k])
		}
	}
	res := s.tessC.Post("/expenses/totals", f)
	if res.Status != http.StatusOK {
		t.Fatalf("expense totals: %d", res.Status)
	}
	if got := res.Text("#expense-totals .exp-total"); got != "$592.30" {
		t.Errorf("total %q, want $592.30", got)
	}
	if got := res.Text("#expense-totals .exp-totals-note"); !strings.Contains(got, "1 line not complete") {
		t.Errorf("note %q", got)
	}
	for id, want := range map[string]string{"#expense-0-priced": "$412.30", "#expense-1-priced": "—", "#expense-2-priced": "$180.00"} {
		if got := res.Text(id); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if res.Doc.Find(`#expense-0-priced[hx-swap-oob="true"]`).Length() != 1 {
		t.Error("line amounts are not swapped out of band")
	}
	var n int64
	s.db(t).Model(&models.ExpenseReport{}).Count(&n)
	if n != 0 {
		t.Errorf("the totals saved %d reports", n)
	}
	// The report form asks for them as it is typed.
	form := s.tessC.Get("/expenses/new")
	if body := form.Doc.Find(".exp-form-body"); body.AttrOr("hx-post", "") != "/expenses/totals" || body.AttrOr("hx-target", "") != "#expense-totals" {
		t.Errorf("report form's live totals: %q %q", body.AttrOr("hx-post", ""), body.AttrOr("hx-target", ""))
	}

	trip := s.tripForm()
	res = s.tessC.Post("/travel/totals", trip)
	if got := res.Text("#trip-estimate-total"); got != "$1,470.50" {
		t.Errorf("trip estimate total %q", got)
	}
	trip.Set("estimate-lodging", "4x")
	res = s.tessC.Post("/travel/totals", trip)
	if res.Text("#trip-estimate-total") != "—" || !strings.Contains(res.Text("#trip-estimate-totals"), "cannot be read yet") {
		t.Errorf("unreadable estimate: %q", res.Text("#trip-estimate-totals"))
	}
	if sec := s.tessC.Get("/travel/new").Doc.Find(`section[hx-post="/travel/totals"]`); sec.Length() != 1 {
		t.Error("the trip form does not ask for its total as it is typed")
	}
}

// approvedTripTo is an approved trip of Tess's from Boston to place and back, leaving in
// `from` days for three days: on the days of the site's trip, she confirms that it overlaps.
func (s *tripReportSite) approvedTripTo(t *testing.T, place string, from int) models.TravelRequest {
	t.Helper()
	f := s.tripForm()
	f.Set("intent", "submit")
	f.Set("overlaps_confirmed", ids(s.trip.ID))
	f["to"] = []string{place, "Boston"}
	f["from"] = []string{"Boston", place}
	f["depart_on"] = []string{tripDay(from), tripDay(from + 2)}
	trip := s.save(t, s.tessC, f)
	if res := approvalPost(s.moC, stepURL(s.pendingStep(t, trip.ID).ID, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("approve the trip: %d", res.Status)
	}
	return trip
}

// What the start could not price is offered to complete: with no rate for the destination,
// the per diem line comes with its days and a note to choose the rate, and saving it as it is
// names the destination and saves nothing; before the trip, a blank line and from when the
// per diem can be claimed.
func TestTripReportOffersWhatItCouldNotPrice(t *testing.T) {
	t.Parallel()
	s := newTripReportSite(t)
	lisbon := s.approvedTripTo(t, "Lisbon", 1)
	res := s.tessC.Post("/travel/"+ids(lisbon.ID)+"/expense-report", url.Values{})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("start: %d", res.Status)
	}
	report := res.Location()
	form := s.tessC.Get(report)
	if got := form.Text("#line-0 .exp-line-hint"); !strings.Contains(got, "3 days in Lisbon") || !strings.Contains(got, "No per diem rate matches “Lisbon”") {
		t.Errorf("the offered line's hint: %q", got)
	}
	if form.Doc.Find("#expense-0-days").AttrOr("value", "") != "3" || form.Doc.Find("#expense-0-destination option[selected]").AttrOr("value", "") != "" {
		t.Errorf("offered line: days %q", form.Doc.Find("#expense-0-days").AttrOr("value", ""))
	}
	var lines int64
	s.db(t).Model(&models.ExpenseLine{}).Count(&lines)
	if lines != 0 {
		t.Fatalf("%d lines stored", lines)
	}
	// Saved as it is shown, the destination is asked for and nothing is stored.
	in := url.Values{"intent": {"save"}}
	form.Doc.Find("#expense-form input, #expense-form select, #expense-form textarea").Each(func(_ int, e *goquerySelection) {
		name, ok := e.Attr("name")
		if !ok || name == "intent" || e.AttrOr("form", "") != "" {
			return
		}
		v := e.AttrOr("value", "")
		if tag := e.Nodes[0].Data; tag == "select" {
			v = e.Find("option[selected]").AttrOr("value", "")
		} else if tag == "textarea" {
			v = e.Text()
		}
		in.Add(name, v)
	})
	saved := s.tessC.Post(report, in)
	if saved.Status != http.StatusUnprocessableEntity || saved.Text("#expense-0-destination-error") != "Choose a destination from the list." {
		t.Errorf("saving the offered line as it is: %d %q", saved.Status, saved.Text("#expense-0-destination-error"))
	}
	s.db(t).Model(&models.ExpenseLine{}).Count(&lines)
	if lines != 0 {
		t.Errorf("%d lines stored from a refused save", lines)
	}

	later := s.approvedTripTo(t, "Paris", 20)
	res = s.tessC.Post("/travel/"+ids(later.ID)+"/expense-report", url.Values{})
	form = s.tessC.Get(res.Location())
	if got := form.Text(".trip-costs .notice-info"); !strings.Contains(got, "3 days in Paris") || !strings.Contains(got, "can be claimed from") {
		t.Errorf("a report started before the trip says %q", got)
	}
	if kind := form.Doc.Find(`#line-0 input[name="kind"]`).AttrOr("value", ""); kind != models.LineExpense || form.Doc.Find("#line-1").Length() != 0 {
		t.Errorf("a report started before the trip offers %q", kind)
	}
}
