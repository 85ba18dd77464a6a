package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/money"
	"outlay/views"
	"outlay/views/documents"
	"outlay/views/requisitions"
)

// requisitionPost is the requisition form as posted: what was typed, and which button sent
// it ("submit", "attach" to save and go to the draft's files, or "" to save a draft).
type requisitionPost struct {
	models.RequisitionInput
	Intent string `form:"intent"`
}

// requisitionLinesPost is the form being typed and the change asked of its lines: add one
// (op=add), follow a change of department (op=department, with the previous department's
// default GL account), or remove the line numbered remove_line. Requisition names the draft
// being edited, if any.
type requisitionLinesPost struct {
	models.RequisitionInput
	Op           string `form:"op"`
	DepartmentGL string `form:"department_gl"`
	RemoveLine   string `form:"remove_line"`
	Requisition  string `form:"requisition"`
}

// formFromStored is a stored requisition as its form shows it, with the version it was read at.
func formFromStored(d *models.RequisitionDetail) models.RequisitionInput {
	in := models.RequisitionInput{Department: optionalValue(d.DepartmentID), Vendor: optionalValue(d.VendorID),
		Location: optionalValue(d.LocationID), NeededBy: formatDateValue(d), Justification: d.Justification,
		FormVersion: models.FormVersion{Version: models.VersionAt(d.UpdatedAt)}}
	for _, l := range d.Lines {
		line := models.LineInput{Description: l.Description, Quantity: l.QuantityMilli.String(),
			UnitPrice: money.Money{Minor: l.UnitPriceMinor, Currency: d.Currency}.Plain(), GLAccount: optionalValue(l.GLAccountID)}
		if l.TaxRateBP != 0 {
			line.TaxRate = money.FormatRate(l.TaxRateBP)
		}
		in.Lines = append(in.Lines, line)
	}
	return in
}

func formatDateValue(d *models.RequisitionDetail) string {
	if d.NeededBy == nil {
		return ""
	}
	return d.NeededBy.UTC().Format("2006-01-02")
}

func optionalValue(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// requisitionForm builds the form's view: what was typed, the messages about it, the
// choices and the totals. cur is the stored requisition when editing one: what it already
// names stays offered even when no longer active.
func (s *Server) requisitionForm(c *fiber.Ctx, in models.RequisitionInput, errs outlay.ValidationErrors, cur *models.RequisitionDetail) (requisitions.Form, error) {
	ctx, db := c.UserContext(), tenantDB(c)
	if len(in.Lines) == 0 {
		in.Lines = []models.LineInput{{}}
	}
	f := requisitions.Form{CSRF: s.csrfToken(c), Attach: s.attachHint(c), Department: in.Department, Vendor: in.Vendor, Location: in.Location,
		NeededBy: in.NeededBy, Justification: in.Justification, FormKey: in.FormKey, Version: in.Version, FocusRow: -1, Errors: views.FieldErrors{}}
	maps.Copy(f.Errors, errs)
	if err := s.fillRequisitionChoices(c, &f, cur); err != nil {
		return f, err
	}
	var err error
	if f.DepartmentGL, err = departmentGL(c, in.Department); err != nil {
		return f, err
	}
	if cur != nil {
		f.ID, f.Status, f.CanDelete = cur.ID, cur.Status, cur.Status == models.RequisitionDraft && cur.Number == nil
		if cur.Number != nil {
			f.Number = *cur.Number
		}
		if rej := cur.Rejection(); rej != nil {
			f.Rejection = &requisitions.Decision{By: rej.ActedByName, At: formatMoment(rej.ActedAt), Comment: rej.Comment}
		}
	}
	priced, lineErrs, err := models.PriceRequisition(ctx, db, in)
	if err != nil {
		return f, err
	}
	f.Totals = liveTotals(priced, lineErrs, in)
	for i, l := range in.Lines {
		f.Lines = append(f.Lines, requisitions.FormLine{Description: l.Description, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
			TaxRate: l.TaxRate, GLAccount: l.GLAccount, Amount: f.Totals.LineAmounts[i]})
	}
	return f, nil
}

// numberFields are a line's fields typed as numbers, checked as they are typed.
var numberFields = []string{"quantity", "unit_price", "tax_rate"}

// liveTotals formats priced lines for the form: the totals, each row's amount where it could
// be priced, and the message beside each number typed that cannot be read (lineErrs from
// pricing). An empty field gets no message while typing: it is asked for when saving.
func liveTotals(p models.PricedLines, lineErrs outlay.ValidationErrors, in models.RequisitionInput) requisitions.Totals {
	m := func(minor int64) string { return money.Money{Minor: minor, Currency: p.Currency}.String() }
	t := requisitions.Totals{Currency: p.Currency, Subtotal: m(p.Totals.Subtotal), Tax: m(p.Totals.Tax), Total: m(p.Totals.Total),
		LineAmounts: make([]string, len(in.Lines))}
	for _, l := range p.Lines {
		t.LineAmounts[l.Row] = m(l.Amount)
	}
	var unread []string
	for i, l := range in.Lines {
		typed := map[string]string{"quantity": l.Quantity, "unit_price": l.UnitPrice, "tax_rate": l.TaxRate}
		bad := false
		for _, field := range numberFields {
			key := models.LineField(i, field)
			c := requisitions.Check{Key: key}
			if strings.TrimSpace(typed[field]) != "" {
				c.Message = lineErrs[key]
			}
			bad = bad || c.Message != ""
			t.Checks = append(t.Checks, c)
		}
		if bad {
			unread = append(unread, strconv.Itoa(i+1))
		}
	}
	switch len(unread) {
	case 0:
	case 1:
		t.Unpriced = "Line " + unread[0] + " is not in the total: a number on it cannot be read."
	default:
		t.Unpriced = "Lines " + strings.Join(unread, ", ") + " are not in the total: numbers on them cannot be read."
	}
	t.Note = fmt.Sprintf("Amounts in %s, your organisation's currency, until you choose a vendor.", p.Currency)
	if in.Vendor != "" {
		t.Note = fmt.Sprintf("Amounts in %s, the vendor's currency.", p.Currency)
	}
	return t
}

func (s *Server) fillRequisitionChoices(c *fiber.Ctx, f *requisitions.Form, cur *models.RequisitionDetail) error {
	ctx, db := c.UserContext(), tenantDB(c)
	depts, err := s.departments(c)
	if err != nil {
		return err
	}
	for _, d := range depts {
		f.Departments = append(f.Departments, requisitions.Option{Value: strconv.FormatInt(d.ID, 10), Label: d.Name})
	}
	if f.VendorName, err = chosenVendor(c, f.Vendor); err != nil {
		return err
	}
	f.VendorName = typedText(c, "vendor", f.VendorName)
	locations, err := models.ActiveLocations(ctx, db)
	if err != nil {
		return err
	}
	for _, l := range locations {
		f.Locations = append(f.Locations, requisitions.Option{Value: strconv.FormatInt(l.ID, 10), Label: l.Name})
	}
	accounts, err := models.ActiveGLAccounts(ctx, db)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		f.GLAccounts = append(f.GLAccounts, requisitions.Option{Value: strconv.FormatInt(a.ID, 10), Label: a.Code + " " + a.Name})
	}
	if cur == nil {
		return nil
	}
	// What the stored requisition names stays offered, marked, so a save never drops it.
	f.Departments = views.KeepOption(f.Departments, idText(cur.DepartmentID), cur.DepartmentName+" (archived)")
	f.Locations = views.KeepOption(f.Locations, idText(cur.LocationID), cur.LocationName+" (archived)")
	for _, l := range cur.LineDetails {
		f.GLAccounts = views.KeepOption(f.GLAccounts, idText(l.GLAccountID), l.GLCode+" "+l.GLName+" (archived)")
	}
	return nil
}

// renderRequisitionForm sends the form page (new, or the requisition cur); htmx asking for
// the form alone gets only the form.
func (s *Server) renderRequisitionForm(c *fiber.Ctx, status int, f requisitions.Form, cur *models.RequisitionDetail) error {
	p := page{Title: "New requisition", Nav: requisitions.ListPath, Content: requisitions.NewPage(f),
		Partials: partials{requisitions.FormID: requisitions.RequisitionForm(f), requisitions.LinesID: requisitions.Lines(f)}}
	if cur != nil {
		d := s.requisitionDetail(c, cur)
		if t := htmxTarget(c); t != requisitions.FormID && t != requisitions.LinesID {
			if err := s.addPurchasing(c, cur, &d); err != nil {
				return err
			}
		}
		p.Title, p.Content = d.Title, requisitions.EditPage(f, d)
	}
	return s.render(c, status, p)
}

// newFormKey names one showing of a form that makes something new (a requisition, an
// expense report, a travel request, a bill, a comment), so that posting it twice makes one.
func newFormKey() string {
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	return hex.EncodeToString(key)
}

// newRequisitionPage starts a requisition in the requester's department, its lines on the
// department's default GL account.
func (s *Server) newRequisitionPage(c *fiber.Ctx) error {
	dept, gl, err := models.RequisitionStart(c.UserContext(), tenantDB(c), currentUser(c).UserID)
	if err != nil {
		return err
	}
	in := models.RequisitionInput{FormKey: newFormKey(), Department: idText(dept), Lines: []models.LineInput{{GLAccount: idText(gl)}}}
	f, err := s.requisitionForm(c, in, nil, nil)
	if err != nil {
		return err
	}
	return s.renderRequisitionForm(c, http.StatusOK, f, nil)
}

func (s *Server) createRequisition(c *fiber.Ctx) error { return s.storeRequisition(c, 0) }

func (s *Server) updateRequisition(c *fiber.Ctx) error {
	id, err := requisitionID(c)
	if err != nil {
		return err
	}
	return s.storeRequisition(c, id)
}

// storeRequisition saves the form as a draft or, with intent=submit, saves and submits it.
// A refusal shows the form again with every message beside its field, and stores nothing.
func (s *Server) storeRequisition(c *fiber.Ctx, id int64) error {
	var post requisitionPost
	bindForm(c, &post)
	in, submit, attach := post.RequisitionInput, post.Intent == "submit", post.Intent == "attach"
	typed := outlay.ValidationErrors{}
	if err := s.typedChoice(c, typed, "vendor", requisitions.VendorLookupPath, &in.Vendor); err != nil {
		return err
	}
	save := in
	save.Vendor = forModel(typed, "vendor", in.Vendor)
	r, err := models.SaveRequisition(c.UserContext(), tenantDB(c), currentUser(c).UserID, id, save, submit)
	err = withTyped(err, typed)
	in.TakeCurrentVersion(err)
	gone := startOver(err, &in.FormKey)
	if err == nil && attach {
		// The draft's own page has the attachments section; it opens there.
		s.setFlash(c, "success", draftSaved+" Attach its files below.")
		return redirect(c, requisitions.Path(r.ID)+"#"+documents.AttachmentsID)
	}
	return requisitionFlow.answerSave(s, c, r, err, submit, func(verr outlay.ValidationErrors) error {
		var cur *models.RequisitionDetail
		if id != 0 && !gone {
			if cur, err = models.GetRequisition(c.UserContext(), tenantDB(c), s.viewer(c), id); err != nil {
				return err
			}
		}
		f, err := s.requisitionForm(c, in, verr, cur)
		if err != nil {
			return err
		}
		if gone {
			// The form is swapped into the deleted draft's page, which has its own place for
			// attachments: a second one, for a new draft, would only confuse.
			f.Attach = ""
		}
		markRefused(f.Errors, verr)
		return s.renderRequisitionForm(c, http.StatusUnprocessableEntity, f, cur)
	})
}

// departmentGL is the default GL account of the department the form names, as a select's
// value ("" for none).
func departmentGL(c *fiber.Ctx, department string) (string, error) {
	id, err := strconv.ParseInt(department, 10, 64)
	if err != nil || id <= 0 {
		return "", nil
	}
	gl, err := models.DefaultGLAccount(c.UserContext(), tenantDB(c), id)
	return idText(gl), err
}

// requisitionLines adds a line to the form being typed (on the department's default GL
// account), or removes one, or, when the department was changed (op=department), moves the
// lines still on no account or on the previous department's default onto the new one's; it
// shows the lines again (the whole form without JavaScript). Nothing is stored.
func (s *Server) requisitionLines(c *fiber.Ctx) error {
	var post requisitionLinesPost
	bindForm(c, &post)
	in := post.RequisitionInput
	gl, err := departmentGL(c, in.Department)
	if err != nil {
		return err
	}
	focus, removed := -1, 0
	var moved []int // lines moved to the new department's default
	switch op := post.Op; {
	case op == "add" && len(in.Lines) < models.MaxRequisitionLines:
		in.Lines = append(in.Lines, models.LineInput{GLAccount: gl})
		focus = len(in.Lines) - 1
	case op == "department":
		previous := post.DepartmentGL
		for i, l := range in.Lines {
			if (l.GLAccount == "" || l.GLAccount == previous) && l.GLAccount != gl {
				in.Lines[i].GLAccount = gl
				moved = append(moved, i)
			}
		}
	default:
		if i, err := strconv.Atoi(post.RemoveLine); err == nil && i >= 0 && i < len(in.Lines) {
			in.Lines = append(in.Lines[:i], in.Lines[i+1:]...)
			removed = i + 1
		}
	}
	var cur *models.RequisitionDetail
	if id, _ := strconv.ParseInt(post.Requisition, 10, 64); id != 0 {
		d, err := models.GetRequisition(c.UserContext(), tenantDB(c), s.viewer(c), id)
		if err != nil {
			return err
		}
		if !s.editableByMe(c, d) {
			return outlay.NotFound("That requisition does not exist.")
		}
		cur = d
	}
	f, err := s.requisitionForm(c, in, nil, cur)
	if err != nil {
		return err
	}
	f.FocusRow, f.Removed = focus, removed
	if htmxTarget(c) == requisitions.DepartmentGLID {
		return sendHTML(c, requisitions.DepartmentDefaults(f, moved))
	}
	return s.renderRequisitionForm(c, http.StatusOK, f, cur)
}

// requisitionTotals prices the form being typed: the live total.
func (s *Server) requisitionTotals(c *fiber.Ctx) error {
	var in models.RequisitionInput
	bindForm(c, &in)
	priced, lineErrs, err := models.PriceRequisition(c.UserContext(), tenantDB(c), in)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return sendHTML(c, requisitions.LiveTotals(liveTotals(priced, lineErrs, in)))
}

// checkRequisitionSubmission answers whether the form being typed would be accepted for
// submission (204) or refused (422), storing nothing: the form asks for confirmation only
// when it would be accepted, and otherwise posts at once to show the messages beside the
// fields.
func (s *Server) checkRequisitionSubmission(c *fiber.Ctx) error {
	var in models.RequisitionInput
	bindForm(c, &in)
	// A vendor typed and not picked is checked as the save takes it.
	typed := outlay.ValidationErrors{}
	if err := s.typedChoice(c, typed, "vendor", requisitions.VendorLookupPath, &in.Vendor); err != nil {
		return err
	}
	if len(typed) > 0 {
		return answerCheck(c, typed)
	}
	return answerCheck(c, models.CheckSubmission(c.UserContext(), tenantDB(c), in))
}

// answerCheck answers a form's check before its "Submit?" question (data-confirm-check)
// with err, what the submission would meet: 204 when it would be accepted, 422 when it
// would be refused (for what it holds, or a document no longer there or editable: the
// form then posts at once, and the answer says why beside the fields), anything else as
// the error it is.
func answerCheck(c *fiber.Ctx, err error) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if _, refused := outlay.AsValidation(err); refused || errors.Is(err, outlay.ErrNotFound) || errors.Is(err, outlay.ErrConflict) {
		return c.SendStatus(http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}
