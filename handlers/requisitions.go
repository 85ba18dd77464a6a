package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/money"
	"outlay/policy"
	"outlay/sheet"
	"outlay/views"
	"outlay/views/requisitions"
)

var (
	requisitionsCreate = policy.Permission{Object: outlay.ObjRequisitions, Action: outlay.ActCreate}
)

// viewer is the signed-in person as record-level rules on documents see them: with, for each
// kind of document, whether their roles may see every submitted one.
func (s *Server) viewer(c *fiber.Ctx) models.Viewer {
	u := currentUser(c)
	v := models.Viewer{UserID: u.UserID, Roles: u.Roles}
	for _, k := range models.DocumentKinds() {
		if k.SeeAll != (policy.Permission{}) && s.can(c, k.SeeAll) {
			v.SeeAllKinds = append(v.SeeAllKinds, k.Type)
		}
	}
	return v
}

// requisitionID reads the :id of the path; one that is not a number names nothing.
func requisitionID(c *fiber.Ctx) (int64, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return 0, outlay.NotFound("That requisition does not exist.")
	}
	return id, nil
}

func (s *Server) myRequisitions(c *fiber.Ctx) error  { return s.requisitionList(c, false) }
func (s *Server) allRequisitions(c *fiber.Ctx) error { return s.requisitionList(c, true) }

// requisitionList shows the person's own requisitions, or (everyone) every submitted one
// they may see, with status tabs, search, filters and pages.
func (s *Server) requisitionList(c *fiber.Ctx, everyone bool) error {
	ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
	l, f, mf, err := s.requisitionFilter(c, everyone)
	if err != nil {
		return err
	}
	l.ExportURL = exportURL(c, f.Base)
	mf.Limit, mf.ByStatus = requisitions.PerPage, true
	list, err := fetchPage(&f.Page, requisitions.PerPage, func(offset int) (models.RequisitionList, error) {
		mf.Offset = offset
		return models.ListRequisitions(ctx, db, v, mf)
	}, requisitionListSize)
	if err != nil {
		return err
	}
	tabs := requisitionStatuses.tabs(list.ByStatus, f.Status, everyone, func(st string) string { return f.WithStatus(st).URL(1) })
	l.Filter, l.Total, l.Tabs, l.Summary = f, list.Total, tabs, requisitionStatuses.summary(list.ByStatus)
	l.Pager = views.Pagination{Page: f.Page, PerPage: requisitions.PerPage, Total: list.Total, URL: f.URL, Target: requisitions.ResultsID}
	for _, r := range list.Rows {
		l.Rows = append(l.Rows, requisitionRow(r))
	}
	p := page{Title: l.Title, Nav: f.Base, Content: requisitions.ListPage(l),
		Partials: partials{requisitions.ResultsID: requisitions.Results(l)}, PushURL: f.URL(f.Page)}
	return s.render(c, http.StatusOK, p)
}

// requisitionFilter reads a requisition list's filters from the address: the list page and
// its export read them here, so an export holds what the page shows.
func (s *Server) requisitionFilter(c *fiber.Ctx, everyone bool) (requisitions.List, requisitions.Filter, models.RequisitionFilter, error) {
	l := requisitions.List{Title: "My requisitions", Everyone: everyone, CanCreate: s.can(c, requisitionsCreate)}
	f := requisitions.Filter{Base: requisitions.ListPath}
	f.Q, f.Page = listQuery(c)
	mf := models.RequisitionFilter{Mine: !everyone, Query: f.Q}
	if everyone {
		l.Title, f.Base = "All requisitions", requisitions.AllPath
		ch, err := s.listChoices(c, "requester", requisitions.RequesterLookupPath)
		if err != nil {
			return l, f, mf, err
		}
		l.Departments, f.Department, mf.DepartmentID = ch.Departments, ch.Department, ch.DepartmentID
		l.RequesterName, f.Requester, mf.RequesterID, f.Unmatched = ch.PersonName, ch.Person, ch.PersonID, ch.PersonID == noOne
	}
	f.Status = requisitionStatuses.chosen(c, everyone)
	mf.Status = f.Status
	return l, f, mf, nil
}

// requisitionExport exports a requisition list (the person's own, or everyone's).
func requisitionExport(everyone bool) *listExport {
	name := "requisitions"
	if everyone {
		name = "all-requisitions"
	}
	return &listExport{name: name,
		columns: cols("id", "ID", "number", "Number", "status", "Status", "justification", "Justification", "requester", "Requester",
			"department", "Department", "vendor", "Vendor", "currency", "Currency", "total", "Total", "lines", "Lines",
			"needed_by", "Needed by", "submitted_at", "Submitted", "updated_at", "Updated"),
		rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
			_, _, mf, err := s.requisitionFilter(c, everyone)
			ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
			return func(emit func(...any) error) (int, error) {
				return models.EachRequisition(ctx, db, v, mf, func(r models.RequisitionSummary) error {
					return emit(r.ID, r.Number, requisitions.StatusLabel(r.Status), r.Justification, r.RequesterName, r.DepartmentName,
						r.VendorName, r.Currency, amount(r.TotalMinor, r.Currency), r.LineCount, sheet.DayOf(r.NeededBy), r.SubmittedAt, r.UpdatedAt)
				})
			}, err
		},
	}
}

func requisitionRow(r models.RequisitionSummary) requisitions.Row {
	row := requisitions.Row{ID: r.ID, Status: r.Status, Justification: r.Justification, Requester: r.RequesterName,
		Department: r.DepartmentName, Vendor: r.VendorName, Total: money.Money{Minor: r.TotalMinor, Currency: r.Currency}.String(),
		Lines: r.LineCount, NeededBy: formatDate(r.NeededBy), Updated: r.UpdatedAt.UTC().Format("2 Jan 2006")}
	if r.Number != nil {
		row.Number = *r.Number
	}
	return row
}

func formatDate(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2 Jan 2006")
}

func formatMoment(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// requisitionPage shows a requisition: the form when it is the viewer's own and still
// editable, the read-only page otherwise.
// requisitionFromPath reads the requisition the path names, if the viewer may see it.
func (s *Server) requisitionFromPath(c *fiber.Ctx) (*models.RequisitionDetail, error) {
	id, err := requisitionID(c)
	if err != nil {
		return nil, err
	}
	return models.GetRequisition(c.UserContext(), tenantDB(c), s.viewer(c), id)
}

func (s *Server) requisitionPage(c *fiber.Ctx) error {
	d, err := s.requisitionFromPath(c)
	if err != nil {
		return err
	}
	if s.editableByMe(c, d) {
		f, err := s.requisitionForm(c, formFromStored(d), nil, d)
		if err != nil {
			return err
		}
		return s.renderRequisitionForm(c, http.StatusOK, f, d)
	}
	v := s.requisitionDetail(c, d)
	if err := s.addPurchasing(c, d, &v); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, page{Title: v.Title, Nav: requisitions.ListPath, Content: requisitions.DetailPage(v)})
}

func (s *Server) editableByMe(c *fiber.Ctx, d *models.RequisitionDetail) bool {
	return d.RequesterID == currentUser(c).UserID && d.Editable() && !readOnly(c)
}

// requisitionDetail is the read-only view of d.
func (s *Server) requisitionDetail(c *fiber.Ctx, d *models.RequisitionDetail) requisitions.Detail {
	cur := d.Currency
	v := requisitions.Detail{HistoryURL: requisitionDocs.Path(d.ID) + "/history", CSRF: s.csrfToken(c), ID: d.ID, Title: requisitionTitle(d), Status: d.Status, Requester: d.RequesterName,
		Department: d.DepartmentName, Vendor: d.VendorName, Location: d.LocationName, NeededBy: formatDate(d.NeededBy),
		Submitted: formatMoment(d.SubmittedAt), Decided: formatMoment(d.DecidedAt), Justification: d.Justification, Currency: cur,
		Subtotal: money.Money{Minor: d.SubtotalMinor, Currency: cur}.String(), Tax: money.Money{Minor: d.TaxMinor, Currency: cur}.String(),
		Total:       d.Total().String(),
		CanWithdraw: d.RequesterID == currentUser(c).UserID && d.Status == models.RequisitionPending && !readOnly(c),
		CanCopy:     s.can(c, requisitionsCreate)}
	if d.Number != nil {
		v.Number = *d.Number
	}
	for _, l := range d.LineDetails {
		line := requisitions.Line{Position: l.Position, Description: l.Description, Quantity: l.QuantityMilli.String(),
			UnitPrice: money.Money{Minor: l.UnitPriceMinor, Currency: cur}.String(), TaxRate: money.FormatRate(l.TaxRateBP),
			Amount: money.Money{Minor: l.AmountMinor, Currency: cur}.String()}
		if l.GLCode != "" {
			line.GLAccount = l.GLCode + " " + l.GLName
		}
		v.Lines = append(v.Lines, line)
	}
	v.Steps, v.WaitingFor = routeSteps(d.Steps)
	return v
}

// routeSteps shows a document's approval route, and who it waits for now ("" for nobody).
func routeSteps(steps []models.ApprovalStepDetail) (out []requisitions.Step, waitingFor string) {
	for _, st := range steps {
		step := requisitions.Step{Round: st.Round, Position: st.Position, Who: stepWho(st), Status: st.Status,
			ActedBy: st.ActedByName, At: formatMoment(st.ActedAt), Comment: st.Comment, Rule: st.RuleName}
		if st.OnBehalfOfName != "" {
			step.ActedBy += " for " + st.OnBehalfOfName
		}
		if st.Status == models.StepPending {
			waitingFor = waitingForWho(st)
		}
		out = append(out, step)
	}
	return out, waitingFor
}

func requisitionTitle(d *models.RequisitionDetail) string {
	if d.Number != nil {
		return "Requisition " + *d.Number
	}
	return "Draft requisition"
}

// waitingForWho says who a pending step waits for inside a sentence ("Waiting for anyone with
// the role Admin."), where stepWho begins a cell.
func waitingForWho(st models.ApprovalStepDetail) string {
	who := stepWho(st)
	if rest, ok := strings.CutPrefix(who, "Anyone "); ok {
		return "anyone " + rest
	}
	return who
}

// stepWho says who an approval step waits for.
func stepWho(st models.ApprovalStepDetail) string {
	switch {
	case st.Kind == models.StepRole && st.Role != nil:
		return "Anyone with the role " + st.RoleLabel
	case st.ApproverName == "":
		return "No one (unresolved)"
	case st.Kind == models.StepManager:
		return st.ApproverName + " (manager)"
	case st.Kind == models.StepDepartmentHead:
		return st.ApproverName + " (department head)"
	}
	return st.ApproverName
}

func (s *Server) withdrawRequisition(c *fiber.Ctx) error { return requisitionFlow.withdrawDraft(s, c) }
func (s *Server) deleteRequisition(c *fiber.Ctx) error   { return requisitionFlow.deleteDraft(s, c) }

// requisitionListSize is how many requisitions a page read, of how many in all.
func requisitionListSize(l models.RequisitionList) (int, int) { return len(l.Rows), l.Total }
