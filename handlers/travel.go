package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/money"
	"outlay/policy"
	"outlay/views"
	"outlay/views/documents"
	"outlay/views/travel"
)

var (
	travelDocs = registeredKind(outlay.DocTravel)

	travelCreate    = policy.Permission{Object: outlay.ObjTravel, Action: outlay.ActCreate}
	travelUpdate    = policy.Permission{Object: outlay.ObjTravel, Action: outlay.ActUpdate}
	travelForOthers = policy.Permission{Object: outlay.ObjTravelOthers, Action: outlay.ActCreate}
)

func init() {
	approvalExtras[outlay.DocTravel] = tripApprovalPanel
}

// tripID reads the :id of the path; one that is not a number names nothing.
func tripID(c *fiber.Ctx) (int64, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return 0, outlay.NotFound("That travel request does not exist.")
	}
	return id, nil
}

func (s *Server) myTrips(c *fiber.Ctx) error  { return s.tripList(c, false) }
func (s *Server) allTrips(c *fiber.Ctx) error { return s.tripList(c, true) }

// tripList shows the trips the person travels on or filed, or (everyone) every submitted
// trip they may see, with status tabs, search, filters and pages.
func (s *Server) tripList(c *fiber.Ctx, everyone bool) error {
	ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
	l, f, mf, err := s.tripFilter(c, everyone)
	if err != nil {
		return err
	}
	l.ExportURL = exportURL(c, f.Base)
	mf.Limit, mf.ByStatus = travel.PerPage, true
	list, err := fetchPage(&f.Page, travel.PerPage, func(offset int) (models.TravelList, error) {
		mf.Offset = offset
		return models.ListTravel(ctx, db, v, mf)
	}, func(l models.TravelList) (int, int) { return len(l.Rows), l.Total })
	if err != nil {
		return err
	}
	tabs := tripStatuses.tabs(list.ByStatus, f.Status, everyone, func(st string) string { return f.WithStatus(st).URL(1) })
	l.Filter, l.Total, l.Tabs, l.Summary = f, list.Total, tabs, tripStatuses.summary(list.ByStatus)
	l.Pager = views.Pagination{Page: f.Page, PerPage: travel.PerPage, Total: list.Total, URL: f.URL, Target: travel.ResultsID}
	me := currentUser(c).UserID
	for _, r := range list.Rows {
		row := travel.Row{ID: r.ID, Status: r.Status, Purpose: r.Purpose, Destinations: r.Destinations, Traveller: r.TravellerName,
			Department: r.DepartmentName, Dates: tripDates(r.FirstDay, r.LastDay),
			Total: money.Money{Minor: r.EstimateTotalMinor, Currency: r.Currency}.String(), Updated: r.UpdatedAt.UTC().Format("2 Jan 2006")}
		if r.Number != nil {
			row.Number = *r.Number
		}
		if r.FiledByID != r.TravellerID {
			row.FiledBy = r.FiledByName
		}
		// On one's own trips, a column of one's own name says nothing: it is shown only when
		// a trip is someone else's, or someone else filed it.
		l.ShowTraveller = l.ShowTraveller || everyone || r.TravellerID != me || r.FiledByID != me
		l.Rows = append(l.Rows, row)
	}
	p := page{Title: l.Title, Nav: f.Base, Content: travel.ListPage(l),
		Partials: partials{travel.ResultsID: travel.Results(l)}, PushURL: f.URL(f.Page)}
	return s.render(c, http.StatusOK, p)
}

// tripFilter reads a travel list's filters from the address: the list page and its export
// read them here, so an export holds what the page shows.
func (s *Server) tripFilter(c *fiber.Ctx, everyone bool) (travel.List, travel.Filter, models.TravelFilter, error) {
	l := travel.List{Title: "My trips", Everyone: everyone, CanCreate: s.can(c, travelCreate)}
	f := travel.Filter{Base: travel.ListPath}
	f.Q, f.Page = listQuery(c)
	mf := models.TravelFilter{Mine: !everyone, Query: f.Q}
	if everyone {
		l.Title, f.Base = "All travel", travel.AllPath
		ch, err := s.listChoices(c, "traveller", travel.TravellerLookupPath)
		if err != nil {
			return l, f, mf, err
		}
		l.Departments, f.Department, mf.DepartmentID = ch.Departments, ch.Department, ch.DepartmentID
		l.TravellerName, f.Traveller, mf.TravellerID, f.Unmatched = ch.PersonName, ch.Person, ch.PersonID, ch.PersonID == noOne
	}
	f.Status = tripStatuses.chosen(c, everyone)
	mf.Status = f.Status
	return l, f, mf, nil
}

// tripExport exports a travel list (the person's own trips, or everyone's).
func tripExport(everyone bool) *listExport {
	name := "travel"
	if everyone {
		name = "all-travel"
	}
	return &listExport{name: name,
		columns: cols("id", "ID", "number", "Number", "status", "Status", "purpose", "Purpose", "destinations", "Destinations",
			"traveller", "Traveller", "filed_by", "Filed by", "department", "Department", "first_day", "First day", "last_day", "Last day",
			"currency", "Currency", "estimate", "Estimate", "updated_at", "Updated"),
		rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
			_, _, mf, err := s.tripFilter(c, everyone)
			ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
			return func(emit func(...any) error) (int, error) {
				return models.EachTrip(ctx, db, v, mf, func(r models.TravelSummary) error {
					return emit(r.ID, r.Number, travel.StatusLabel(r.Status), r.Purpose, r.Destinations, r.TravellerName, r.FiledByName,
						r.DepartmentName, r.FirstDay, r.LastDay, r.Currency, amount(r.EstimateTotalMinor, r.Currency), r.UpdatedAt)
				})
			}, err
		},
	}
}

// tripDates says when a trip is: "3 Mar 2027 – 7 Mar 2027", one day alone, or "".
func tripDates(first, last *time.Time) string {
	switch {
	case first == nil:
		return ""
	case last == nil || last.Equal(*first):
		return formatDate(first)
	}
	return formatDate(first) + " – " + formatDate(last)
}

func (s *Server) tripFromPath(c *fiber.Ctx) (*models.TravelDetail, error) {
	id, err := tripID(c)
	if err != nil {
		return nil, err
	}
	return models.GetTravel(c.UserContext(), tenantDB(c), s.viewer(c), id)
}

// tripPage shows a trip: the form when it is the viewer's (as traveller or filer) and still
// editable, the read-only page otherwise.
func (s *Server) tripPage(c *fiber.Ctx) error {
	d, err := s.tripFromPath(c)
	if err != nil {
		return err
	}
	if s.tripEditableByMe(c, d) {
		f, err := s.tripForm(c, tripFormFromStored(d), nil, d)
		if err != nil {
			return err
		}
		return s.renderTripForm(c, http.StatusOK, f, d)
	}
	v, err := s.tripDetail(c, d, true)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, page{Title: v.Title, Nav: travel.ListPath, Content: travel.DetailPage(v)})
}

func (s *Server) tripEditableByMe(c *fiber.Ctx, d *models.TravelDetail) bool {
	return d.BelongsTo(currentUser(c).UserID) && d.Editable() && s.can(c, travelUpdate)
}

func tripTitle(d *models.TravelDetail) string {
	if d.Number != nil {
		return "Trip " + *d.Number
	}
	return "Draft trip"
}

// tripDetail is the read-only view of d; with activity, its comments and attachments.
func (s *Server) tripDetail(c *fiber.Ctx, d *models.TravelDetail, activity bool) (travel.Detail, error) {
	m := func(minor int64) string { return money.Money{Minor: minor, Currency: d.Currency}.String() }
	v := travel.Detail{CSRF: s.csrfToken(c), ID: d.ID, Title: tripTitle(d), Status: d.Status, Traveller: d.TravellerName,
		Department: d.DepartmentName, Purpose: d.Purpose, Dates: tripDates(d.FirstDay, d.LastDay), Days: d.Days(),
		Submitted: formatMoment(d.SubmittedAt), Decided: formatMoment(d.DecidedAt), Currency: d.Currency, Total: m(d.EstimateTotalMinor),
		HistoryURL: travel.HistoryPath(d.ID), Destinations: d.Destinations,
		CanWithdraw: d.BelongsTo(currentUser(c).UserID) && d.Status == models.TravelSubmitted && !readOnly(c)}
	if d.Number != nil {
		v.Number = *d.Number
	}
	if d.FiledByID != d.TravellerID {
		v.FiledBy = d.FiledByName
	}
	if d.GLCode != "" {
		v.GLAccount = d.GLCode + " " + d.GLName
	}
	if d.AdvanceMinor > 0 {
		v.Advance = m(d.AdvanceMinor)
	}
	if d.Status == models.TravelCancelled && d.CancelledAt != nil {
		v.Cancelled = fmt.Sprintf("By %s on %s: %s", d.CancelledByName, formatMoment(d.CancelledAt), d.CancelReason)
	}
	if d.Status == models.TravelSubmitted || d.Status == models.TravelApproved {
		overlaps, err := models.TripOverlaps(c.UserContext(), tenantDB(c), s.viewer(c), d.TravelRequest)
		if err != nil {
			return v, err
		}
		v.Overlaps = tripOverlaps(overlaps)
	}
	if d.Status == models.TravelApproved && d.BelongsTo(currentUser(c).UserID) && s.can(c, travelUpdate) {
		out, err := models.TripCancellation(c.UserContext(), tenantDB(c), d.TravelRequest)
		if msg, ok := outlay.Message(err); ok && errors.Is(err, outlay.ErrConflict) {
			v.CannotCancel = msg
		} else if err != nil {
			return v, err
		} else {
			v.CanCancel = true
			if out.Minor > 0 {
				v.CancelAdvance = out.String()
			}
		}
	}
	v.Legs = tripLegs(d.Legs)
	for _, cat := range models.TravelCostCategories {
		v.Estimates = append(v.Estimates, travel.Amount{Label: models.TravelCostLabel(cat), Amount: m(d.Estimate(cat))})
	}
	v.Steps, v.WaitingFor = routeSteps(d.Steps)
	var err error
	if v.Actions, err = s.tripExpenseAction(c, d); err != nil {
		return v, err
	}
	if !activity {
		return v, nil
	}
	comments, files, err := s.documentActivity(c, travelDocs, d.Seen())
	if err != nil {
		return v, err
	}
	v.Activity = documents.Activity(comments, files)
	return v, nil
}

// tripOverlaps names a trip's overlapping trips as pages show them, linking those the viewer
// may open.
func tripOverlaps(overlaps []models.TripOverlap) []travel.Overlap {
	var out []travel.Overlap
	for _, o := range overlaps {
		v := travel.Overlap{Name: "Draft trip", Dates: tripDates(&o.FirstDay, &o.LastDay), Status: o.Status, Destinations: o.Destinations}
		if o.Number != nil {
			v.Name = *o.Number
		}
		if o.Visible {
			v.Href = travel.Path(o.ID)
		}
		out = append(out, v)
	}
	return out
}

func tripLegs(legs []models.TravelLeg) []travel.Leg {
	var out []travel.Leg
	for _, l := range legs {
		out = append(out, travel.Leg{Position: l.Position, From: l.FromPlace, To: l.ToPlace, DepartOn: formatDate(&l.DepartOn),
			ReturnOn: formatDate(l.ReturnOn), Mode: l.Mode})
	}
	return out
}

// tripApprovalPanel shows an approver the trip's legs, dates and advance beside its estimate.
func tripApprovalPanel(s *Server, c *fiber.Ctx, id int64) (templ.Component, error) {
	t, err := models.TravelLegs(c.UserContext(), tenantDB(c), s.viewer(c), id)
	if err != nil {
		return nil, err
	}
	p := travel.Panel{Legs: tripLegs(t.Legs), Dates: tripDates(t.FirstDay, t.LastDay), Days: t.Days()}
	overlaps, err := models.TripOverlaps(c.UserContext(), tenantDB(c), s.viewer(c), *t)
	if err != nil {
		return nil, err
	}
	p.Overlaps = tripOverlaps(overlaps)
	if t.AdvanceMinor > 0 {
		p.Advance = money.Money{Minor: t.AdvanceMinor, Currency: t.Currency}.String()
	}
	return travel.ApprovalPanel(p), nil
}

// tripFormFromStored is a stored trip as its form shows it, with the version it was read at.
func tripFormFromStored(d *models.TravelDetail) models.TravelInput {
	in := models.TravelInput{Traveller: strconv.FormatInt(d.TravellerID, 10), Department: optionalValue(d.DepartmentID),
		GLAccount: optionalValue(d.GLAccountID), Purpose: d.Purpose, Currency: d.Currency, Estimates: map[string]string{},
		FormVersion: models.FormVersion{Version: models.VersionAt(d.UpdatedAt)}}
	plain := func(minor int64) string {
		if minor == 0 {
			return ""
		}
		return money.Money{Minor: minor, Currency: d.Currency}.Plain()
	}
	for _, cat := range models.TravelCostCategories {
		in.Estimates[cat] = plain(d.Estimate(cat))
	}
	in.Advance = plain(d.AdvanceMinor)
	for _, l := range d.Legs {
		leg := models.LegInput{From: l.FromPlace, To: l.ToPlace, DepartOn: l.DepartOn.Format(time.DateOnly), Mode: l.Mode}
		if l.ReturnOn != nil {
			leg.ReturnOn = l.ReturnOn.Format(time.DateOnly)
		}
		in.Legs = append(in.Legs, leg)
	}
	return in
}

// tripForm builds the form's view: what was typed, the messages about it and the choices.
// cur is the stored trip when editing one: what it already names stays offered.
func (s *Server) tripForm(c *fiber.Ctx, in models.TravelInput, errs outlay.ValidationErrors, cur *models.TravelDetail) (travel.Form, error) {
	ctx, db := c.UserContext(), tenantDB(c)
	if len(in.Legs) == 0 {
		in.Legs = []models.LegInput{{Mode: models.ModeAir}}
	}
	if in.Currency == "" {
		st, err := models.Settings(ctx, db)
		if err != nil {
			return travel.Form{}, err
		}
		in.Currency = st.DefaultCurrency
	}
	f := travel.Form{CSRF: s.csrfToken(c), Traveller: in.Traveller, Department: in.Department, GLAccount: in.GLAccount, Purpose: in.Purpose,
		Currency: in.Currency, Advance: in.Advance, FormKey: in.FormKey, Version: in.Version, FocusRow: -1, Errors: views.FieldErrors{}, ForOthers: s.can(c, travelForOthers),
		OverlapsConfirmed: in.OverlapsConfirmed}
	for k, msg := range errs {
		f.Errors[k] = msg
	}
	for _, l := range in.Legs {
		f.Legs = append(f.Legs, travel.FormLeg{From: l.From, To: l.To, DepartOn: l.DepartOn, ReturnOn: l.ReturnOn, Mode: l.Mode})
	}
	for _, cat := range models.TravelCostCategories {
		f.Estimates = append(f.Estimates, travel.Estimate{Category: cat, Label: models.TravelCostLabel(cat), Value: in.Estimates[cat]})
	}
	f.Total, f.TotalNote = tripEstimateTotal(in)
	f.Currencies = currencyOptions(f.Currency)
	if err := s.fillTripChoices(c, &f, cur); err != nil {
		return f, err
	}
	if cur != nil {
		f.ID, f.Status, f.CanDelete = cur.ID, cur.Status, cur.Status == models.TravelDraft && cur.Number == nil
		if cur.Number != nil {
			f.Number = *cur.Number
		}
		if rej := cur.Rejection(); rej != nil {
			f.Rejection = &travel.Decision{By: rej.ActedByName, At: formatMoment(rej.ActedAt), Comment: rej.Comment}
		}
	}
	return f, nil
}

func (s *Server) fillTripChoices(c *fiber.Ctx, f *travel.Form, cur *models.TravelDetail) error {
	ctx, db := c.UserContext(), tenantDB(c)
	depts, err := s.departments(c)
	if err != nil {
		return err
	}
	for _, d := range depts {
		f.Departments = append(f.Departments, travel.Option{Value: strconv.FormatInt(d.ID, 10), Label: d.Name})
	}
	accounts, err := models.ActiveGLAccounts(ctx, db)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		f.GLAccounts = append(f.GLAccounts, travel.Option{Value: strconv.FormatInt(a.ID, 10), Label: a.Code + " " + a.Name})
	}
	if f.ForOthers {
		// The field starts on the person filling it; a name typed and not chosen is shown
		// as typed, with its message, never replaced by theirs.
		if f.Traveller == "" && typedText(c, "traveller", "") == "" {
			f.Traveller = strconv.FormatInt(currentUser(c).UserID, 10)
		}
		var err error
		if f.TravellerName, err = chosenPerson(c, f.Traveller); err != nil {
			return err
		}
		f.TravellerName = typedText(c, "traveller", f.TravellerName)
	}
	if cur != nil {
		f.Departments = views.KeepOption(f.Departments, idText(cur.DepartmentID), cur.DepartmentName+" (archived)")
		f.GLAccounts = views.KeepOption(f.GLAccounts, idText(cur.GLAccountID), cur.GLCode+" "+cur.GLName+" (archived)")
	}
	return nil
}

// renderTripForm sends the form page (new, or the trip cur); htmx asking for the form or the
// legs alone gets only that.
func (s *Server) renderTripForm(c *fiber.Ctx, status int, f travel.Form, cur *models.TravelDetail) error {
	p := page{Title: "New travel request", Nav: travel.ListPath, Content: travel.NewPage(f)}
	if cur != nil {
		t := htmxTarget(c)
		d, err := s.tripDetail(c, cur, t != travel.FormID && t != travel.LegsID)
		if err != nil {
			return err
		}
		p.Title, p.Content = d.Title, travel.EditPage(f, d)
	}
	p.Partials = partials{travel.FormID: travel.TravelForm(f), travel.LegsID: travel.Legs(f)}
	return s.render(c, status, p)
}

func (s *Server) newTripPage(c *fiber.Ctx) error {
	f, err := s.tripForm(c, models.TravelInput{FormKey: newFormKey()}, nil, nil)
	if err != nil {
		return err
	}
	return s.renderTripForm(c, http.StatusOK, f, nil)
}

func (s *Server) createTrip(c *fiber.Ctx) error { return s.storeTrip(c, 0) }

func (s *Server) updateTrip(c *fiber.Ctx) error {
	id, err := tripID(c)
	if err != nil {
		return err
	}
	return s.storeTrip(c, id)
}

// tripPost is the travel form as posted: what was typed, and whether to submit it.
type tripPost struct {
	models.TravelInput
	Intent string `form:"intent"` // "submit", or "" to save a draft
}

// tripLegsPost is the travel form being typed and the change asked of its legs: add one
// (op=add) or remove the one numbered remove_leg. Trip names the draft being edited, if any.
type tripLegsPost struct {
	models.TravelInput
	Op        string `form:"op"`
	RemoveLeg string `form:"remove_leg"`
	Trip      string `form:"trip"`
}

// travelFiler is the person filling the travel form in.
func (s *Server) travelFiler(c *fiber.Ctx) models.TravelFiler {
	return models.TravelFiler{UserID: currentUser(c).UserID, ForOthers: s.can(c, travelForOthers), Sees: s.viewer(c)}
}

// checkTripSubmission answers whether the travel form being typed (for the draft its trip
// field names, or a new trip) would be accepted for submission (204) or refused (422),
// storing nothing: the form asks for confirmation only when it would be accepted.
func (s *Server) checkTripSubmission(c *fiber.Ctx) error {
	var post tripLegsPost
	bindForm(c, &post)
	in := post.TravelInput
	filer := s.travelFiler(c)
	if filer.ForOthers {
		typed := outlay.ValidationErrors{}
		if err := s.typedChoice(c, typed, "traveller", travel.TravellerFormLookupPath, &in.Traveller); err != nil {
			return err
		}
		if len(typed) > 0 {
			return answerCheck(c, typed)
		}
	}
	id, _ := strconv.ParseInt(post.Trip, 10, 64)
	return answerCheck(c, models.CheckTravelSubmission(c.UserContext(), tenantDB(c), filer, max(id, 0), in))
}

// storeTrip saves the form as a draft or, with intent=submit, saves and submits it. A refusal
// shows the form again with every message beside its field, and stores nothing; so does a
// trip whose days overlap other trips of its traveller's, naming them, until the person
// submitting it ticks that it is meant to.
func (s *Server) storeTrip(c *fiber.Ctx, id int64) error {
	var post tripPost
	bindForm(c, &post)
	in, submit := post.TravelInput, post.Intent == "submit"
	filer := s.travelFiler(c)
	typed := outlay.ValidationErrors{}
	if filer.ForOthers {
		if err := s.typedChoice(c, typed, "traveller", travel.TravellerFormLookupPath, &in.Traveller); err != nil {
			return err
		}
	}
	save := in
	save.Traveller = forModel(typed, "traveller", in.Traveller)
	t, err := models.SaveTravel(c.UserContext(), tenantDB(c), filer, id, save, submit)
	err = withTyped(err, typed)
	in.TakeCurrentVersion(err)
	gone := startOver(err, &in.FormKey)
	again := func(verr outlay.ValidationErrors, overlap *models.TripOverlapWarning) error {
		var cur *models.TravelDetail
		if id != 0 && !gone {
			if cur, err = models.GetTravel(c.UserContext(), tenantDB(c), s.viewer(c), id); err != nil {
				return err
			}
		}
		f, err := s.tripForm(c, in, verr, cur)
		if err != nil {
			return err
		}
		if overlap != nil {
			f.Overlaps, f.OverlapsConfirm = tripOverlaps(overlap.Overlaps), overlap.Confirmation()
			traveller, name := in.Traveller, f.TravellerName
			if traveller == "" && cur != nil {
				traveller, name = strconv.FormatInt(cur.TravellerID, 10), cur.TravellerName
			}
			if traveller != "" && traveller != strconv.FormatInt(filer.UserID, 10) {
				f.OverlapTraveller = name
			}
		} else {
			markRefused(f.Errors, verr)
		}
		return s.renderTripForm(c, http.StatusUnprocessableEntity, f, cur)
	}
	if overlap := (*models.TripOverlapWarning)(nil); errors.As(err, &overlap) {
		return again(nil, overlap)
	}
	return tripFlow.answerSave(s, c, t, err, submit, func(verr outlay.ValidationErrors) error { return again(verr, nil) })
}

// tripLegsEdit adds a blank leg to the form being typed, or removes one, and shows the legs
// again (the whole form without JavaScript). Nothing is stored.
func (s *Server) tripLegsEdit(c *fiber.Ctx) error {
	var post tripLegsPost
	bindForm(c, &post)
	in := post.TravelInput
	focus, removed := -1, 0
	if post.Op == "add" && len(in.Legs) < models.MaxTravelLegs {
		mode := models.ModeAir
		if n := len(in.Legs); n > 0 && in.Legs[n-1].Mode != "" {
			mode = in.Legs[n-1].Mode
		}
		in.Legs = append(in.Legs, models.LegInput{Mode: mode})
		focus = len(in.Legs) - 1
	} else if i, err := strconv.Atoi(post.RemoveLeg); err == nil && i >= 0 && i < len(in.Legs) {
		in.Legs = append(in.Legs[:i], in.Legs[i+1:]...)
		removed = i + 1
	}
	var cur *models.TravelDetail
	if id, _ := strconv.ParseInt(post.Trip, 10, 64); id != 0 {
		d, err := models.GetTravel(c.UserContext(), tenantDB(c), s.viewer(c), id)
		if err != nil {
			return err
		}
		if !s.tripEditableByMe(c, d) {
			return outlay.NotFound("That travel request does not exist.")
		}
		cur = d
	}
	f, err := s.tripForm(c, in, nil, cur)
	if err != nil {
		return err
	}
	f.FocusRow, f.Removed = focus, removed
	return s.renderTripForm(c, http.StatusOK, f, cur)
}

func (s *Server) withdrawTrip(c *fiber.Ctx) error { return tripFlow.withdrawDraft(s, c) }

// cancelTrip cancels the traveller's (or filer's) approved trip that will not take place; a
// refusal shows the trip as it is now, with the reason kept and the message beside its field
// (or in place of the form, when the trip can no longer be cancelled).
func (s *Server) cancelTrip(c *fiber.Ctx) error {
	d, err := s.tripFromPath(c)
	if err != nil {
		return err
	}
	var post struct {
		Reason  string `form:"cancel_reason"`
		Settled string `form:"advance_settled"`
	}
	bindForm(c, &post)
	t, err := models.CancelTravel(c.UserContext(), tenantDB(c), currentUser(c).UserID, d.ID,
		models.CancelTrip{Reason: post.Reason, AdvanceSettled: post.Settled != ""})
	refused := func(status int, errs views.FieldErrors) error {
		// The trip as it is now: another tab may have cancelled it meanwhile.
		d, err := s.tripFromPath(c)
		if err != nil {
			return err
		}
		v, err := s.tripDetail(c, d, true)
		if err != nil {
			return err
		}
		if !v.CanCancel && v.CannotCancel == "" {
			// Cancelled already, or no longer approved: the page says why without the form.
			s.setFlash(c, "error", errs["cancel_reason"])
			return redirect(c, travel.Path(d.ID))
		}
		v.CancelErrors, v.CancelReason = errs, post.Reason
		return s.render(c, status, page{Title: v.Title, Nav: travel.ListPath, Content: travel.DetailPage(v)})
	}
	if verr, ok := outlay.AsValidation(err); ok {
		return refused(http.StatusUnprocessableEntity, verr)
	}
	if msg, ok := outlay.Message(err); ok && errors.Is(err, outlay.ErrConflict) {
		return refused(http.StatusConflict, views.FieldErrors{"cancel_reason": msg})
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "success", tripTitle(&models.TravelDetail{TravelRequest: *t})+" is cancelled.")
	return redirect(c, travel.Path(d.ID))
}

func (s *Server) deleteTrip(c *fiber.Ctx) error { return tripFlow.deleteDraft(s, c) }

func (s *Server) tripHistory(c *fiber.Ctx) error {
	d, err := s.tripFromPath(c)
	if err != nil {
		return err
	}
	title := tripTitle(d)
	return s.history(c, travelDocs.Base, "History of "+title, travelDocs.Path(d.ID), "Back to "+title,
		travelDocs.RecordHistory(strconv.FormatInt(d.ID, 10)))
}

// tripCardStatuses are the trip statuses the dashboard's card counts, in its order; an
// approved trip is counted as upcoming until it is over.
var tripCardStatuses = []string{models.TravelRejected, models.TravelDraft, models.TravelWithdrawn, models.TravelSubmitted, models.TravelApproved}

// tripsCard is the dashboard's "My trips" card, from the counts the dashboard's one query read.
func (s *Server) tripsCard(c *fiber.Ctx, sum models.DashboardSummary) templ.Component {
	t := travel.TripsCard{}
	if s.can(c, travelCreate) {
		t.NewURL = travel.NewPath
	}
	for _, st := range tripCardStatuses {
		n := sum.Open[models.DocTravel][st]
		if n == 0 {
			continue
		}
		label := travel.StatusLabel(st)
		if st == models.TravelApproved {
			label = "Upcoming"
		}
		t.Total += n
		t.ByStatus = append(t.ByStatus, travel.TripCount{Label: label, Count: n, URL: travel.ListPath + "?status=" + st})
	}
	return travel.MyTripsCard(t)
}
