package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/internal/testutil"
	"outlay/models"
	"outlay/tenancy"
)

// tripSite is a tenant where Tess travels and Mo, her manager, approves; Cole is a colleague
// who requests too, Audi audits, Asa administers (and may file travel for others), and Ivy is
// an approver nothing is routed to.
type tripSite struct {
	app                                  *testutil.App
	acme                                 tenancy.Tenant
	tess, mo, cole, audi, asa, ivy       *models.User
	dept, gl, budget                     int64
	tessC, moC, coleC, audiC, asaC, ivyC *testutil.Client
}

func newTripSite(t *testing.T, setup ...func(*testutil.Env)) *tripSite {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	for _, f := range setup {
		f(env)
	}
	s := &tripSite{acme: acme}
	s.mo = env.CreateUser(t, acme, "mo@acme.example", "Mo Manager", "approver")
	s.cole = env.CreateUser(t, acme, "cole@acme.example", "Cole Colleague", "requester")
	s.audi = env.CreateUser(t, acme, "audi@acme.example", "Audi Auditor", "auditor")
	s.asa = env.CreateUser(t, acme, "asa@acme.example", "Asa Admin", "admin")
	s.ivy = env.CreateUser(t, acme, "ivy@acme.example", "Ivy Approver", "approver")
	s.app = testutil.NewApp(t, env)
	db := s.db(t)
	tess, err := models.CreateUser(context.Background(), db, models.NewUser{Email: "tess@acme.example", Name: "Tess Traveller",
		Password: testutil.Password, Roles: []string{"requester"}, ManagerID: &s.mo.ID})
	if err != nil {
		t.Fatal(err)
	}
	s.tess = tess
	d := models.Department{Name: "Sales"}
	g := models.GLAccount{Code: "6500", Name: "Travel"}
	for _, x := range []any{&d, &g} {
		if err := db.Create(x).Error; err != nil {
			t.Fatal(err)
		}
	}
	year := time.Now().UTC().Year()
	b := models.Budget{DepartmentID: d.ID, GLAccountID: g.ID, PeriodStart: time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC),
		PeriodEnd: time.Date(year+1, 12, 31, 0, 0, 0, 0, time.UTC), AmountMinor: 1000000, Currency: "USD"}
	if err := db.Create(&b).Error; err != nil {
		t.Fatal(err)
	}
	s.dept, s.gl, s.budget = d.ID, g.ID, b.ID
	client := func(u *models.User) *testutil.Client {
		c := s.app.Client(t, "acme")
		c.SignIn(u.Email, testutil.Password)
		c.Get("/dashboard")
		return c
	}
	s.tessC, s.moC, s.coleC, s.audiC, s.asaC, s.ivyC = client(s.tess), client(s.mo), client(s.cole), client(s.audi), client(s.asa), client(s.ivy)
	return s
}

func (s *tripSite) db(t *testing.T) *gorm.DB { return s.app.DB(t, s.acme) }

func tripDay(offset int) string { return time.Now().UTC().AddDate(0, 0, offset).Format(time.DateOnly) }

// tripForm is a complete trip: Boston → Paris by air, Paris → Boston by rail and air.
func (s *tripSite) tripForm() url.Values {
	f := url.Values{"department": {ids(s.dept)}, "gl_account": {ids(s.gl)}, "purpose": {"Trade fair in Paris"}, "currency": {"USD"},
		"estimate-airfare": {"900"}, "estimate-lodging": {"450.50"}, "estimate-meals": {"120"}, "advance": {"200"}, "intent": {"save"}}
	for _, l := range [][4]string{{"Boston", "Paris", tripDay(9), "air"}, {"Paris", "Boston", tripDay(13), "air"}} {
		f.Add("from", l[0])
		f.Add("to", l[1])
		f.Add("depart_on", l[2])
		f.Add("return_on", "")
		f.Add("mode", l[3])
	}
	return f
}

// save posts the form as c and returns the trip it made.
func (s *tripSite) save(t *testing.T, c *testutil.Client, f url.Values) models.TravelRequest {
	t.Helper()
	res := c.Post("/travel", f)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/travel/") {
		t.Fatalf("save trip: %d %q %s", res.Status, res.Location(), res.Text(".field-error, .flash"))
	}
	var trip models.TravelRequest
	if err := s.db(t).Order("id DESC").First(&trip).Error; err != nil {
		t.Fatal(err)
	}
	return trip
}

func (s *tripSite) pendingStep(t *testing.T, tripID int64) models.ApprovalStep {
	t.Helper()
	var st models.ApprovalStep
	if err := s.db(t).Where("doc_type = ? AND doc_id = ? AND status = ?", models.DocTravel, tripID, models.StepPending).Take(&st).Error; err != nil {
		t.Fatal(err)
	}
	return st
}

// From the form to approved: the traveller saves and submits, the manager reads the trip in
// the queue (legs, estimate by category, advance, budget) and approves it; the trip's page
// shows legs, estimate and route, the budget counts it as committed and lists it, the
// dashboard counts it as upcoming, and History records it.
func TestTravelFromFormToApproved(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	form := s.tessC.Get("/travel/new")
	if form.Status != 200 || form.Doc.Find(`#traveller`).Length() != 0 || form.Doc.Find(`input[name="estimate-lodging"]`).Length() != 1 {
		t.Fatalf("new form: %d, traveller field %d", form.Status, form.Doc.Find(`#traveller`).Length())
	}
	trip := s.save(t, s.tessC, s.tripForm())
	if trip.Status != models.TravelDraft || trip.EstimateTotalMinor != 147050 || trip.AdvanceMinor != 20000 || trip.Destinations != "Paris, Boston" {
		t.Fatalf("draft: %+v", trip)
	}
	path := "/travel/" + ids(trip.ID)
	f := s.tessC.Get(path)
	if f.Doc.Find(`#travel-form input[name="from"]`).Length() != 2 || f.Doc.Find(`#estimate-lodging`).AttrOr("value", "") != "450.50" {
		t.Fatalf("edit form: legs %d lodging %q", f.Doc.Find(`#travel-form input[name="from"]`).Length(), f.Doc.Find(`#estimate-lodging`).AttrOr("value", ""))
	}
	sub := s.tripForm()
	sub.Set("intent", "submit")
	if res := s.tessC.Post(path, sub); res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.Status, res.Text(".field-error, .flash"))
	}
	if msg := s.tessC.Get(path).Text(".flash-success"); !strings.Contains(msg, "TRV-000001 is submitted for approval") {
		t.Errorf("flash %q", msg)
	}
	queue := s.moC.Get("/approvals")
	if !strings.Contains(queue.Body, "TRV-000001") || !strings.Contains(queue.Body, "Paris, Boston") {
		t.Fatalf("queue does not list the trip: %s", queue.Text("main"))
	}
	step := s.pendingStep(t, trip.ID)
	details := approvalGet(s.moC, stepURL(step.ID, ""))
	text := details.Text(".details-grid")
	for _, want := range []string{"Boston → Paris", "Paris → Boston", "Cash advance: $200.00", "Airfare", "Lodging", "Meals and per diem", "$450.50", "6500"} {
		if !strings.Contains(text, want) {
			t.Errorf("approver's details lack %q: %s", want, text)
		}
	}
	if res := approvalPost(s.moC, stepURL(step.ID, "approve"), nil); res.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", res.Status, res.Text("body"))
	}
	page := s.tessC.Get(path)
	if page.Doc.Find("#travel-form").Length() != 0 || page.Text(".page-header .badge") != "Approved" {
		t.Errorf("approved page: form %d status %q", page.Doc.Find("#travel-form").Length(), page.Text(".page-header .badge"))
	}
	if page.Doc.Find("#trip-legs tbody tr").Length() != 2 || !strings.Contains(page.Text("#trip-estimates"), "$1,470.50") {
		t.Errorf("legs %d estimates %q", page.Doc.Find("#trip-legs tbody tr").Length(), page.Text("#trip-estimates"))
	}
	if route := page.Text(".req-route"); !strings.Contains(route, "Mo Manager") || !strings.Contains(route, "No rule matched: the default route") {
		t.Errorf("route: %q", route)
	}
	if got := page.Text("[data-testid=my-trips]"); got != "" {
		t.Errorf("the trip page shows the dashboard card: %q", got)
	}
	dash := s.tessC.Get("/dashboard")
	if dash.Text("[data-testid=my-trips]") != "1" || !strings.Contains(dash.Text("#card-trips + p + ul, .stat-breakdown"), "Upcoming") {
		t.Errorf("dashboard trips card: %q %q", dash.Text("[data-testid=my-trips]"), dash.Text(".stat-breakdown"))
	}
	budget := s.asaC.Get("/admin/budgets/" + ids(s.budget))
	if c := budget.Text("#budget-committed"); c != "$1,470.50" {
		t.Errorf("budget committed %q", c)
	}
	if docs := budget.Text("#budget-documents"); !strings.Contains(docs, "TRV-000001") || !strings.Contains(docs, "Travel request") {
		t.Errorf("budget documents: %q", docs)
	}
	hist := s.tessC.Get(path + "/history")
	if hist.Status != 200 || !strings.Contains(hist.Body, "TRV-000001") {
		t.Errorf("history: %d", hist.Status)
	}
	// Comments go on the trip like any document's.
	if res := s.moC.Post(path+"/comments", url.Values{"body": {"Have a good trip"}}); res.Status != http.StatusSeeOther {
		t.Errorf("comment: %d", res.Status)
	}
	if !strings.Contains(s.tessC.Get(path).Text("#comments"), "Have a good trip") {
		t.Error("comment not shown on the trip")
	}
}

// Mistakes are shown beside their fields, with everything typed kept, and nothing is stored.
func TestTravelRefusalShowsErrorsBesideFieldsAndStoresNothing(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	f := s.tripForm()
	f["depart_on"] = []string{tripDay(9), tripDay(3)}
	f["return_on"] = []string{tripDay(5), ""}
	f.Set("estimate-lodging", "-10")
	f.Set("advance", "5000")
	f.Set("intent", "submit")
	res := s.tessC.Post("/travel", f)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("refused save: %d", res.Status)
	}
	for id, want := range map[string]string{
		"leg-0-return_on-error":  "The return is before the departure.",
		"leg-1-depart_on-error":  "Legs go in order",
		"estimate-lodging-error": "Enter an amount of zero or more.",
		"advance-error":          "The advance cannot be more than the estimated total.",
	} {
		if got := res.Text("#" + id); !strings.Contains(got, want) {
			t.Errorf("#%s: %q, want %q", id, got, want)
		}
	}
	if v := res.Doc.Find(`#leg-1-from`).AttrOr("value", ""); v != "Paris" {
		t.Errorf("typed leg lost: %q", v)
	}
	if n := countRows(t, s.db(t), "travel_requests"); n != 0 {
		t.Errorf("%d trips stored", n)
	}
	far := s.tripForm()
	far["depart_on"] = []string{time.Now().AddDate(5, 0, 0).Format(time.DateOnly), tripDay(13)}
	if res := s.tessC.Post("/travel", far); !strings.Contains(res.Text("#leg-0-depart_on-error"), "within two years") {
		t.Errorf("far future: %d %q", res.Status, res.Text("#leg-0-depart_on-error"))
	}
	empty := url.Values{"intent": {"submit"}, "currency": {"USD"}}
	res = s.tessC.Post("/travel", empty)
	if !strings.Contains(res.Text("#legs-error"), "Add at least one leg") || res.Text("#purpose-error") == "" {
		t.Errorf("submit with nothing: %q %q", res.Text("#legs-error"), res.Text("#purpose-error"))
	}
	if n := countRows(t, s.db(t), "travel_requests"); n != 0 {
		t.Errorf("%d trips stored", n)
	}
}

func countRows(t *testing.T, db *gorm.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// Adding and removing legs answers with the legs alone, keeping what was typed; nothing is
// stored.
func TestTravelLegsAreAddedAndRemovedInline(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	s.tessC.Header.Set("HX-Request", "true")
	s.tessC.Header.Set("HX-Target", "travel-legs")
	defer s.tessC.Header.Del("HX-Request")
	defer s.tessC.Header.Del("HX-Target")
	f := s.tripForm()
	f.Set("op", "add")
	res := s.tessC.Post("/travel/legs", f)
	if res.Status != 200 || res.Doc.Find(`fieldset.trip-leg`).Length() != 3 || res.Doc.Find("#travel-form").Length() != 0 {
		t.Fatalf("add: %d legs %d", res.Status, res.Doc.Find(`fieldset.trip-leg`).Length())
	}
	if _, ok := res.Doc.Find(`#leg-2-from`).Attr("autofocus"); !ok {
		t.Error("the new leg is not focused")
	}
	f = s.tripForm()
	f.Set("remove_leg", "0")
	res = s.tessC.Post("/travel/legs", f)
	if res.Doc.Find(`fieldset.trip-leg`).Length() != 1 || res.Doc.Find(`#leg-0-from`).AttrOr("value", "") != "Paris" {
		t.Errorf("remove: legs %d first from %q", res.Doc.Find(`fieldset.trip-leg`).Length(), res.Doc.Find(`#leg-0-from`).AttrOr("value", ""))
	}
	if n := countRows(t, s.db(t), "travel_requests"); n != 0 {
		t.Errorf("%d trips stored", n)
	}
}

// Record-level access: a trip is seen by its traveller, whoever filed it, the people it is
// routed to and those who see everyone's travel (once submitted); anyone else gets 404 on
// every address of it, and nothing changes.
func TestTripsOfOthersAreNotFound(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	// Asa files the trip for Tess.
	f := s.tripForm()
	f.Set("traveller", ids(s.tess.ID))
	if form := s.asaC.Get("/travel/new"); form.Doc.Find(`input#traveller[role=combobox]`).Length() != 1 {
		t.Error("the admin is not asked who travels")
	}
	trip := s.save(t, s.asaC, f)
	if trip.TravellerID != s.tess.ID || trip.FiledByID != s.asa.ID {
		t.Fatalf("filed for: traveller %d filer %d", trip.TravellerID, trip.FiledByID)
	}
	// Cole may not file for anyone else.
	f.Del("_csrf")
	if res := s.coleC.Post("/travel", f); res.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.Text("#traveller-error"), "only for yourself") {
		t.Errorf("requester filing for another: %d %q", res.Status, res.Text("#traveller-error"))
	}
	path := "/travel/" + ids(trip.ID)
	// What each address of the trip gives a stranger: not found, or, where their roles may
	// not use the address at all (an auditor changes nothing), the refusal to the dashboard.
	notFound := func(res *testutil.Response) bool {
		return res.Status == http.StatusNotFound || (res.Status == http.StatusSeeOther && res.Location() == "/dashboard")
	}
	refused := func(who string, c *testutil.Client) {
		t.Helper()
		for _, p := range []string{path, path + "/history", path + "/attachments/1"} {
			if res := c.Get(p); res.Status != http.StatusNotFound {
				t.Errorf("%s GET %s: %d", who, p, res.Status)
			}
		}
		for _, p := range []string{path, path + "/withdraw", path + "/delete", path + "/comments"} {
			if res := c.Post(p, url.Values{"body": {"mine"}, "purpose": {"Hijacked"}}); !notFound(res) {
				t.Errorf("%s POST %s: %d %q", who, p, res.Status, res.Location())
			}
		}
		if res := c.Upload(path+"/attachments", "file", "note.txt", "text/plain", []byte("hello")); !notFound(res) {
			t.Errorf("%s upload: %d", who, res.Status)
		}
		lf := s.tripForm()
		lf.Set("trip", ids(trip.ID))
		lf.Set("op", "add")
		if res := c.Post("/travel/legs", lf); !notFound(res) {
			t.Errorf("%s legs of the trip: %d", who, res.Status)
		}
		if strings.Contains(c.Get("/travel").Body, "Trade fair") || strings.Contains(c.Get("/travel/all").Body, "Trade fair") {
			t.Errorf("%s sees the trip listed", who)
		}
	}
	// A draft: only Tess and Asa.
	for who, c := range map[string]*testutil.Client{"tess": s.tessC, "asa": s.asaC} {
		if res := c.Get(path); res.Status != 200 || res.Doc.Find("#travel-form").Length() != 1 {
			t.Errorf("%s opens the draft: %d form %d", who, res.Status, res.Doc.Find("#travel-form").Length())
		}
		if !strings.Contains(c.Get("/travel").Body, "Trade fair") {
			t.Errorf("%s's list lacks the trip", who)
		}
	}
	for who, c := range map[string]*testutil.Client{"cole": s.coleC, "audi": s.audiC, "mo": s.moC, "ivy": s.ivyC} {
		refused(who, c)
	}
	// Submitted: routed to Mo; Audi sees everyone's; Cole and Ivy still see nothing.
	if res := s.tessC.Post(path, func() url.Values { f := s.tripForm(); f.Set("intent", "submit"); return f }()); res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.Status, res.Text(".field-error"))
	}
	for who, c := range map[string]*testutil.Client{"mo": s.moC, "audi": s.audiC, "asa": s.asaC, "tess": s.tessC} {
		if res := c.Get(path); res.Status != 200 {
			t.Errorf("%s opens the submitted trip: %d", who, res.Status)
		}
	}
	if !strings.Contains(s.audiC.Get("/travel/all").Body, "Trade fair") {
		t.Error("the auditor's list of all travel lacks the trip")
	}
	for who, c := range map[string]*testutil.Client{"cole": s.coleC, "ivy": s.ivyC} {
		refused(who, c)
	}
	var stored models.TravelRequest
	if err := s.db(t).First(&stored, trip.ID).Error; err != nil || stored.Purpose != "Trade fair in Paris" || stored.Status != models.TravelSubmitted {
		t.Errorf("changed by others: %+v %v", stored, err)
	}
	// The filer may withdraw it, as the traveller may.
	if res := s.asaC.Post(path+"/withdraw", nil); res.Status != http.StatusSeeOther {
		t.Errorf("filer withdraws: %d", res.Status)
	}
}

// An approval rule for travel requests, made in the rule editor, routes trips of its
// department from its amount on to the person it names.
func TestTravelRuleRoutesByDepartmentAndAmount(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	rule := ruleForm("Big Sales trips", [3]string{"user", ids(s.ivy.ID), ""})
	rule.Set("doc_type", "travel")
	rule.Set("department", fmt.Sprint(s.dept))
	rule.Set("min_amount", "1,000")
	if res := s.asaC.Post("/admin/approval-rules", rule); res.Status != http.StatusSeeOther {
		t.Fatalf("create travel rule: %d %s", res.Status, res.Text(".field-error"))
	}
	submit := func(airfare string, later int) models.ApprovalStep {
		f := s.tripForm()
		f.Set("estimate-airfare", airfare)
		f.Set("intent", "submit")
		f["depart_on"] = []string{tripDay(9 + later), tripDay(13 + later)} // another trip of Tess's days would ask her first
		trip := s.save(t, s.tessC, f)
		return s.pendingStep(t, trip.ID)
	}
	big := submit("900", 0) // 1,470.50 in all
	if big.ApproverID == nil || *big.ApproverID != s.ivy.ID || big.RuleID == nil {
		t.Errorf("a big trip waits for %v under rule %v, want Ivy under the rule", big.ApproverID, big.RuleID)
	}
	small := submit("100", 10) // 670.50
	if small.ApproverID == nil || *small.ApproverID != s.mo.ID || small.RuleID != nil {
		t.Errorf("a small trip waits for %v under rule %v, want Mo on the default route", small.ApproverID, small.RuleID)
	}
	page := s.tessC.Get("/travel/" + ids(big.DocID))
	if !strings.Contains(page.Text(".req-route"), "Rule: Big Sales trips") {
		t.Errorf("route on the trip's page: %q", page.Text(".req-route"))
	}
}

// One's own trips leave out the traveller column while every trip is one's own and filed by
// oneself; a trip someone else filed for one brings it back, with who filed it. Everyone's
// trips always have it.
func TestOwnTripsShowTheTravellerOnlyWhenItSaysSomething(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	own := s.save(t, s.tessC, s.tripForm())
	travellerColumn := func(c *testutil.Client, path string) bool {
		return c.Get(path).Doc.Find(`th:contains("Traveller")`).Length() == 1
	}
	if travellerColumn(s.tessC, "/travel") {
		t.Error("Tess's own trips, all filed by her, have a traveller column")
	}
	f := s.tripForm()
	f.Set("traveller", ids(s.tess.ID))
	f["depart_on"] = []string{tripDay(20), tripDay(24)} // not the days of her own trip, which would ask her before it is submitted
	s.save(t, s.asaC, f)
	res := s.tessC.Get("/travel")
	if res.Doc.Find(`th:contains("Traveller")`).Length() != 1 || !strings.Contains(res.Text(`td[data-label="Traveller"]`), "Filed by "+s.asa.Name) {
		t.Errorf("a trip Asa filed for Tess: traveller column %q", res.Text(`td[data-label="Traveller"]`))
	}
	submit := s.tripForm()
	submit.Set("intent", "submit")
	if res := s.tessC.Post("/travel/"+ids(own.ID), submit); res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.Status, res.Text(".field-error"))
	}
	if !travellerColumn(s.asaC, "/travel/all") {
		t.Error("everyone's trips have no traveller column")
	}
}

// The travel form asks "Submit?" only of a trip the submission would accept: its check
// answers 204 for that, and 422 for a trip the submit would refuse (a departure in the past,
// no purpose, someone else's draft), storing nothing either way.
func TestTripSubmissionIsCheckedBeforeTheQuestion(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	c := s.app.Client(t, "acme")
	c.SignIn("tess@acme.example", testutil.Password)
	c.Get("/travel/new")
	f := s.tripForm()
	f.Set("intent", "submit")
	if res := c.Post("/travel/check", f); res.Status != http.StatusNoContent {
		t.Fatalf("a submittable trip: %d", res.Status)
	}
	past := s.tripForm()
	past["depart_on"] = []string{tripDay(-3), tripDay(2)}
	noPurpose := s.tripForm()
	noPurpose.Set("purpose", "")
	for name, g := range map[string]url.Values{"a departure in the past": past, "no purpose": noPurpose} {
		if res := c.Post("/travel/check", g); res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d; want 422", name, res.Status)
		}
	}
	var n int64
	s.db(t).Model(&models.TravelRequest{}).Count(&n)
	if n != 0 {
		t.Errorf("the checks stored %d trips", n)
	}
	// A draft of someone else's is refused as the save would refuse it.
	draft := s.save(t, c, s.tripForm())
	other := s.app.Client(t, "acme")
	other.SignIn("cole@acme.example", testutil.Password)
	other.Get("/travel/new")
	g := s.tripForm()
	g.Set("trip", ids(draft.ID))
	if res := other.Post("/travel/check", g); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("another's draft: %d; want 422", res.Status)
	}
	g = s.tripForm()
	g.Set("trip", ids(draft.ID))
	if res := c.Post("/travel/check", g); res.Status != http.StatusNoContent {
		t.Errorf("the traveller's own draft: %d; want 204", res.Status)
	}
}

// A leg that departs before the return leg above it is back is refused beside its departure,
// with everything typed kept.
func TestTravelLegBeforeTheLegAboveReturnsIsRefusedBesideIt(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	f := s.tripForm()
	f["return_on"] = []string{tripDay(12), ""} // Boston → Paris and back on day 12
	f["depart_on"] = []string{tripDay(9), tripDay(11)}
	res := s.tessC.Post("/travel", f)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a leg leaving before the one above returns: %d", res.Status)
	}
	if got := res.Text("#leg-1-depart_on-error"); !strings.Contains(got, "departs before the leg above it returns") {
		t.Errorf("beside the second leg's departure: %q", got)
	}
	if got := res.Doc.Find("#leg-0-return_on").AttrOr("value", ""); got != tripDay(12) {
		t.Errorf("the first leg's return typed: %q", got)
	}
	if n := countRows(t, s.db(t), "travel_requests"); n != 0 {
		t.Errorf("%d trips stored", n)
	}
}

// The traveller refused is said beside the traveller, tied to it, with the rest of the form
// kept: a name typed and not chosen from the list (for someone who files trips for others),
// and another person posted by someone who files only their own trips, whose form has no
// traveller to choose and says it where the traveller would be.
func TestTravellerRefusedIsSaidBesideTheTraveller(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	f := s.tripForm()
	f.Set("traveller", "")
	f.Set("traveller_text", "Nobody Known")
	res := s.asaC.Post("/travel", f)
	field := res.Doc.Find("#traveller")
	if res.Status != http.StatusUnprocessableEntity || field.AttrOr("aria-invalid", "") != "true" ||
		!strings.Contains(field.AttrOr("aria-describedby", ""), "traveller-error") || res.Text("#traveller-error") == "" {
		t.Fatalf("a name not chosen: %d, %q described by %q: %q", res.Status, field.AttrOr("aria-invalid", ""), field.AttrOr("aria-describedby", ""), res.Text("#traveller-error"))
	}
	if got := field.AttrOr("value", ""); got != "Nobody Known" {
		t.Errorf("the name typed came back as %q", got)
	}

	f = s.tripForm()
	f.Set("traveller", ids(s.cole.ID))
	res = s.tessC.Post("/travel", f)
	group := res.Doc.Find(`[aria-labelledby="traveller-label"]`)
	if res.Status != http.StatusUnprocessableEntity || group.AttrOr("aria-invalid", "") != "true" || group.AttrOr("aria-describedby", "") != "traveller-error" ||
		res.Text("#traveller-label") != "Traveller" || res.Text("#traveller-error") != "You may file trips only for yourself." {
		t.Fatalf("another traveller: %d, %q described by %q: %q", res.Status, group.AttrOr("aria-invalid", ""), group.AttrOr("aria-describedby", ""), res.Text("#traveller-error"))
	}
	if got := res.Text("#purpose"); got != "Trade fair in Paris" {
		t.Errorf("the purpose came back as %q", got)
	}
	if n := countRows(t, s.db(t), "travel_requests"); n != 0 {
		t.Errorf("%d trips stored", n)
	}
}
