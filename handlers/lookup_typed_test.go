package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"outlay/internal/testutil"
	"outlay/models"
	"outlay/views/approvalrules"
)

// A vendor's name typed into the requisition's vendor field and not picked from its list is
// the vendor of that name (in any case, with other spaces); a name that is no vendor's, or
// a vendor on hold, is refused beside the field with the text kept, and nothing is saved.
func TestRequisitionTakesTheVendorWhoseNameWasTyped(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	c := s.client(t, s.rita)
	c.Get("/requisitions/new")
	f := s.reqForm([4]string{"Desk", "2", "10", ids(s.gl)})
	f.Set("vendor", "")
	f.Set("vendor_text", "  paper   CO ")
	res := c.Post("/requisitions", f)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("typed name: %d %q", res.Status, res.Text(".field-error"))
	}
	var r models.Requisition
	if err := s.db(t).Order("id DESC").First(&r).Error; err != nil || r.VendorID == nil || *r.VendorID != s.vendor {
		t.Fatalf("saved vendor %v, %v; want Paper Co (%d)", r.VendorID, err, s.vendor)
	}
	for _, typed := range []string{"Paper Company", "Held Ltd"} {
		c.Get("/requisitions/new")
		f.Set("vendor_text", typed)
		res := c.Post("/requisitions", f)
		want := "“" + typed + "” is not a vendor you can choose here: type the name as it is saved, or pick it from the list as you type."
		if typed == "Held Ltd" {
			// A vendor on hold takes no new orders, and is named as such.
			want = "Held Ltd is on hold and takes no new orders: choose another vendor, or take it off hold first."
		}
		if res.Status != http.StatusUnprocessableEntity || res.Text("#vendor-error") != want {
			t.Errorf("%s: %d %q; want 422 %q", typed, res.Status, res.Text("#vendor-error"), want)
		}
		if v, _ := res.Doc.Find("#vendor").Attr("value"); v != typed {
			t.Errorf("%s: the field shows %q; want what was typed", typed, v)
		}
	}
	if n := s.count(t); n != 1 {
		t.Errorf("%d requisitions; want the first alone", n)
	}
	// The submit's check (whether to ask "Submit?") takes the typed vendor as the save does.
	check := s.reqForm([4]string{"Desk", "2", "10", ids(s.gl)})
	check.Set("vendor", "")
	for typed, want := range map[string]int{"Paper Co": http.StatusNoContent, "Paper Company": http.StatusUnprocessableEntity} {
		check.Set("vendor_text", typed)
		if res := c.Post("/requisitions/check", check); res.Status != want {
			t.Errorf("check with %q typed: %d, want %d", typed, res.Status, want)
		}
	}
	// A requisition no longer editable says so, whatever the vendor typed.
	id := r.ID
	sub := s.reqForm([4]string{"Desk", "2", "10", ids(s.gl)})
	sub.Set("intent", "submit")
	if res := c.Post("/requisitions/"+ids(id), sub); res.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %q", res.Status, res.Text(".field-error, .flash"))
	}
	f.Set("vendor_text", "Paper Company")
	res = c.Post("/requisitions/"+ids(id), f)
	if res.Status != http.StatusConflict || !strings.Contains(res.Body, "no longer editable") {
		t.Errorf("editing a submitted requisition with a vendor typed as no one: %d; want 409, no longer editable", res.Status)
	}
	if got := s.stored(t, id); got.Status == models.RequisitionDraft {
		t.Errorf("the submitted requisition is a draft again")
	}
}

// A traveller's name typed and not picked, by someone who files travel for others, is that
// person; a name that is no one's is refused beside the field, which keeps it rather than
// falling back on the person filing, and no trip is saved.
func TestTripTakesTheTravellerWhoseNameWasTyped(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	f := s.tripForm()
	f.Set("traveller", "")
	f.Set("traveller_text", "tess traveller")
	if trip := s.save(t, s.asaC, f); trip.TravellerID != s.tess.ID {
		t.Errorf("traveller %d; want Tess (%d)", trip.TravellerID, s.tess.ID)
	}
	var before int64
	s.db(t).Model(&models.TravelRequest{}).Count(&before)
	f.Set("traveller_text", "Tess Travel")
	res := s.asaC.Post("/travel", f)
	if res.Status != http.StatusUnprocessableEntity || res.Text("#traveller-error") != "“Tess Travel” is not a person you can choose here: type the name as it is saved, or pick it from the list as you type." {
		t.Errorf("a name that is no one's: %d %q", res.Status, res.Text("#traveller-error"))
	}
	if v, _ := res.Doc.Find("#traveller").Attr("value"); v != "Tess Travel" {
		t.Errorf("the field shows %q; want what was typed, not the filer", v)
	}
	if v, _ := res.Doc.Find(`input[name="traveller"]`).Attr("value"); v != "" {
		t.Errorf("the field's choice is %q; want none", v)
	}
	var after int64
	s.db(t).Model(&models.TravelRequest{}).Count(&after)
	if after != before {
		t.Errorf("%d trips saved", after-before)
	}
}

// Two people of one name: a delegate typed by that name is refused, asking which; typed by
// email, the one with that email is chosen. A department's head typed by name is that person.
func TestPeopleTypedByNameOrEmail(t *testing.T) {
	t.Parallel()
	env, acme := testutil.NewTenant(t)
	max := env.CreateUser(t, acme, "max@acme.example", "Max Approver", "approver", "admin")
	env.CreateUser(t, acme, "al.one@acme.example", "Al Approver", "approver")
	al2 := env.CreateUser(t, acme, "al.two@acme.example", "Al Approver", "approver")
	app := testutil.NewApp(t, env)
	c := app.Client(t, "acme")
	c.SignIn(max.Email, testutil.Password)
	c.Get("/approvals/delegation")
	today := time.Now().UTC().Format(time.DateOnly)
	form := url.Values{"delegate": {""}, "delegate_text": {"al approver"}, "starts_on": {today}, "ends_on": {today}}
	res := c.Post("/approvals/delegation", form)
	if res.Status != http.StatusUnprocessableEntity || res.Text("#delegate-error") != "More than one person is called “al approver”: type the email of the one you mean, or pick them from the list as you type." {
		t.Errorf("a name two people have: %d %q", res.Status, res.Text("#delegate-error"))
	}
	form.Set("delegate_text", "AL.TWO@acme.example")
	if res := c.Post("/approvals/delegation", form); res.Status != http.StatusSeeOther {
		t.Fatalf("by email: %d %q", res.Status, res.Text("#delegate-error"))
	}
	var delegate int64
	app.DB(t, acme).Raw(`SELECT delegate_id FROM approval_delegations ORDER BY id DESC LIMIT 1`).Scan(&delegate)
	if delegate != al2.ID {
		t.Errorf("delegate %d; want Al Two (%d)", delegate, al2.ID)
	}

	c.Get("/admin/departments/new")
	if res := c.Post("/admin/departments", url.Values{"name": {"Finance"}, "head": {""}, "head_text": {"Max  Approver"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("a head typed by name: %d %q", res.Status, res.Text(".field-error"))
	}
	var head int64
	app.DB(t, acme).Raw(`SELECT head_id FROM departments WHERE name = 'Finance'`).Scan(&head)
	if head != max.ID {
		t.Errorf("head %d; want Max (%d)", head, max.ID)
	}
	res = c.Post("/admin/departments", url.Values{"name": {"Legal"}, "head": {""}, "head_text": {"Nobody Here"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#head-error"), "“Nobody Here” is not a person") {
		t.Errorf("a head who is no one: %d %q", res.Status, res.Text("#head-error"))
	}
	if v, _ := res.Doc.Find("#head").Attr("value"); v != "Nobody Here" {
		t.Errorf("the head field shows %q; want what was typed", v)
	}
}

// An approval rule's step names its person as typed, row by row (each row sends its typed
// text, so that a role's step before it does not shift them), and an invited person's
// manager likewise; a name that is no one's is refused beside its own row's field.
func TestRuleStepsAndManagersTakeTypedNames(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	s.app.CreateUser(t, s.acme, "it@acme.example", "Ivy IT", "approver")
	s.admin.Get("/admin/approval-rules/new")
	f := ruleForm("Typed people", [3]string{"role", "", "admin"}, [3]string{"user", "", ""}, [3]string{"user", "", ""})
	f["step_user_text"] = []string{"", "ivy it", "Nobody Here"}
	res := s.admin.Post("/admin/approval-rules", f)
	if res.Status != http.StatusUnprocessableEntity || res.Text(`[id="steps.2.user-error"]`) == "" || res.Text(`[id="steps.1.user-error"]`) != "" {
		t.Fatalf("a step typed as no one: %d, step 2 %q, step 1 %q", res.Status, res.Text(`[id="steps.2.user-error"]`), res.Text(`[id="steps.1.user-error"]`))
	}
	if v, _ := res.Doc.Find(`#step-2-user`).Attr("value"); v != "Nobody Here" {
		t.Errorf("step 2's field shows %q; want what was typed", v)
	}
	f["step_user_text"] = []string{"", "ivy it", "IT@acme.example"}
	if res := s.admin.Post("/admin/approval-rules", f); res.Status != http.StatusSeeOther {
		t.Fatalf("steps typed by name and email: %d %s", res.Status, res.Text(".field-error"))
	}
	var users []string
	s.db(t).Raw(`SELECT u.email FROM approval_rule_steps st JOIN approval_rules r ON r.id = st.rule_id JOIN users u ON u.id = st.user_id
		WHERE r.name = 'Typed people' ORDER BY st.position`).Scan(&users)
	if strings.Join(users, " ") != "it@acme.example it@acme.example" {
		t.Errorf("steps' people %q", users)
	}

	s.admin.Get("/admin/users/new")
	res = s.admin.Post("/admin/users", url.Values{"email": {"new@acme.example"}, "name": {"New Person"}, "roles": {"requester"},
		"manager": {""}, "manager_text": {"Ivy IT"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("a manager typed by name: %d %s", res.Status, res.Text(".field-error"))
	}
	var manager string
	s.db(t).Raw(`SELECT m.email FROM users u JOIN users m ON m.id = u.manager_id WHERE u.email = 'new@acme.example'`).Scan(&manager)
	if manager != "it@acme.example" {
		t.Errorf("manager %q; want Ivy IT", manager)
	}
}

// A new bill's order typed by its number and not picked is that order; a number that is no
// open order's is refused beside the chooser, which keeps it.
func TestBillTakesTheOrderWhoseNumberWasTyped(t *testing.T) {
	t.Parallel()
	s := newBillSite(t)
	page := s.cleoC.Get("/bills/new?" + url.Values{"order": {""}, "order_text": {strings.ToLower(s.order.Number)}}.Encode())
	if page.Status != http.StatusOK || page.Doc.Find(`#line-0-quantity`).AttrOr("value", "") != "10" {
		t.Errorf("order typed by number: %d, first line %q; want the order's lines", page.Status, page.Doc.Find(`#line-0-quantity`).AttrOr("value", ""))
	}
	page = s.cleoC.Get("/bills/new?" + url.Values{"order": {""}, "order_text": {"PO-999999"}}.Encode())
	if page.Status != http.StatusUnprocessableEntity || page.Text("#order-error") != "“PO-999999” is not an open order you can choose here: type its number, or pick it from the list as you type." {
		t.Errorf("no such order: %d %q", page.Status, page.Text("#order-error"))
	}
	if v, _ := page.Doc.Find("#order").Attr("value"); v != "PO-999999" {
		t.Errorf("the chooser shows %q; want what was typed", v)
	}
}

// A list's person filter typed and not picked (Enter in the field) narrows the list to the
// person of that name; a name that is no one's narrows it to none, the name kept in the field,
// rather than showing everyone's under it.
func TestListFilterTakesTheTypedName(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	for _, c := range []*testutil.Client{s.tessC, s.coleC} {
		submitted := s.tripForm()
		submitted.Set("intent", "submit")
		s.save(t, c, submitted)
	}
	rows := func(typed string) (int, string) {
		res := s.asaC.Get("/travel/all?" + url.Values{"traveller": {""}, "traveller_text": {typed}}.Encode())
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d", typed, res.Status)
		}
		return res.Doc.Find(`td[data-label="Traveller"]`).Length(), res.Doc.Find("#traveller").AttrOr("value", "")
	}
	if n, shown := rows(""); n != 2 || shown != "" {
		t.Errorf("no filter: %d rows, field %q; want both trips", n, shown)
	}
	if n, shown := rows("tess traveller"); n != 1 || shown != "Tess Traveller" {
		t.Errorf("Tess typed: %d rows, field %q; want her trip alone, her name shown", n, shown)
	}
	if n, shown := rows("Tessa"); n != 0 || shown != "Tessa" {
		t.Errorf("a name that is no one's: %d rows, field %q; want none, the name kept", n, shown)
	}
	// The empty list says the filters match nothing, with a way to clear them.
	res := s.asaC.Get("/travel/all?" + url.Values{"traveller": {""}, "traveller_text": {"Tessa"}}.Encode())
	if res.Doc.Find(`.empty-state a[href="/travel/all"]`).Length() != 1 {
		t.Errorf("the empty list of a name that is no one's: %q; want a link clearing the filters", res.Text(".empty-state"))
	}
}

// A page without JavaScript cannot drop a lookup's chosen id as its text is retyped, so the
// form posts the text it showed beside the id: a saved requisition's vendor retyped as
// another vendor's name is that vendor, retyped as no one's is refused (the draft keeps its
// vendor), cleared is none; left as shown, in another case, it stays the vendor chosen.
func TestRetypedChoiceWithoutScriptNamesTheNewRecord(t *testing.T) {
	t.Parallel()
	s := newReqSite(t)
	c := s.client(t, s.rita)
	c.Get("/requisitions/new")
	if res := c.Post("/requisitions", s.reqForm([4]string{"Desk", "2", "10", ids(s.gl)})); res.Status != http.StatusSeeOther {
		t.Fatalf("new draft: %d %q", res.Status, res.Text(".field-error"))
	}
	var r models.Requisition
	if err := s.db(t).Order("id DESC").First(&r).Error; err != nil {
		t.Fatal(err)
	}
	vendor := func() *int64 { return s.stored(t, r.ID).VendorID }
	page := func() url.Values {
		t.Helper()
		res := c.Get("/requisitions/" + ids(r.ID))
		f := formValues(t, res, "#requisition-form")
		if v := vendor(); v != nil && *v == s.vendor && (f.Get("vendor") != ids(s.vendor) || f.Get("vendor_text") != "Paper Co" || f.Get("vendor_shown") != "Paper Co") {
			t.Fatalf("the draft's form posts vendor %q %q %q; want Paper Co's id, its name shown", f.Get("vendor"), f.Get("vendor_text"), f.Get("vendor_shown"))
		}
		f.Set("intent", "save")
		return f
	}
	f := page()
	f.Set("vendor_text", "paper  co")
	if res := c.Post("/requisitions/"+ids(r.ID), f); res.Status != http.StatusSeeOther || vendor() == nil || *vendor() != s.vendor {
		t.Fatalf("the shown name in another case: %d %q, vendor %v; want Paper Co kept", res.Status, res.Text(".field-error"), vendor())
	}
	f = page()
	f.Set("vendor_text", "Nobody Supplies")
	res := c.Post("/requisitions/"+ids(r.ID), f)
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Text("#vendor-error"), "“Nobody Supplies” is not a vendor") {
		t.Errorf("retyped as no one's: %d %q; want 422 beside the vendor", res.Status, res.Text("#vendor-error"))
	}
	if v := vendor(); v == nil || *v != s.vendor {
		t.Errorf("after a refused retyping the vendor is %v; want Paper Co kept", v)
	}
	f = page()
	f.Set("vendor_text", "Euro Supplies")
	if res := c.Post("/requisitions/"+ids(r.ID), f); res.Status != http.StatusSeeOther || vendor() == nil || *vendor() != s.euro {
		t.Fatalf("retyped as another vendor's name: %d %q, vendor %v; want Euro Supplies (%d)", res.Status, res.Text(".field-error"), vendor(), s.euro)
	}
	f = page()
	f.Set("vendor_text", "")
	if res := c.Post("/requisitions/"+ids(r.ID), f); res.Status != http.StatusSeeOther || vendor() != nil {
		t.Errorf("vendor cleared: %d %q, vendor %v; want none", res.Status, res.Text(".field-error"), vendor())
	}
	// A post that does not say what was shown (a script of its own) keeps its id.
	f = formValues(t, c.Get("/requisitions/"+ids(r.ID)), "#requisition-form")
	f.Set("intent", "save")
	f.Set("vendor", ids(s.vendor))
	f.Set("vendor_text", "Anything")
	f.Del("vendor_shown")
	if res := c.Post("/requisitions/"+ids(r.ID), f); res.Status != http.StatusSeeOther || vendor() == nil || *vendor() != s.vendor {
		t.Errorf("an id posted without the text shown: %d %q, vendor %v; want Paper Co", res.Status, res.Text(".field-error"), vendor())
	}
}

// An approval rule's person steps are retyped without a script as the requisition's vendor
// is: each row compares its text with what it showed.
func TestRetypedRuleStepWithoutScriptNamesTheNewPerson(t *testing.T) {
	t.Parallel()
	s := newUsersSite(t)
	s.app.CreateUser(t, s.acme, "it@acme.example", "Ivy IT", "approver")
	s.app.CreateUser(t, s.acme, "fin@acme.example", "Fin Ance", "approver")
	s.admin.Get("/admin/approval-rules/new")
	f := ruleForm("Retyped", [3]string{"role", "", "admin"}, [3]string{"user", "", ""})
	f["step_user_text"] = []string{"", "Ivy IT"}
	res := s.admin.Post("/admin/approval-rules", f)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("new rule: %d %s", res.Status, res.Text(".field-error"))
	}
	var id int64
	s.db(t).Raw(`SELECT id FROM approval_rules WHERE name = 'Retyped'`).Scan(&id)
	action := approvalrules.RulePath(id)
	g := formValues(t, s.admin.Get(action), `form[action="`+action+`"]`)
	if got := g["step_user_shown"]; len(got) != 2 || got[1] != "Ivy IT" {
		t.Fatalf("the rule's form shows its steps' people as %q; want a row each, Ivy IT second", got)
	}
	g["step_user_text"] = []string{"", "Fin Ance"}
	if res := s.admin.Post(action, g); res.Status != http.StatusSeeOther {
		t.Fatalf("step retyped: %d %s", res.Status, res.Text(".field-error"))
	}
	var email []string
	s.db(t).Raw(`SELECT u.email FROM approval_rule_steps st JOIN approval_rules r ON r.id = st.rule_id JOIN users u ON u.id = st.user_id
		WHERE r.name = 'Retyped'`).Scan(&email)
	if len(email) != 1 || email[0] != "fin@acme.example" {
		t.Errorf("the step's person is %q; want fin@acme.example", email)
	}
}
