package handlers

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"outlay/models"
	"outlay/money"
	"outlay/views/purchasing"
)

// toOrderFilter is the buyer's queue: approved requisitions the viewer may see, longest
// waiting first.
func toOrderFilter() models.RequisitionFilter {
	return models.RequisitionFilter{Status: models.RequisitionApproved, OldestFirst: true}
}

// toOrderPage lists the approved requisitions waiting for their purchase order, each with
// the button that makes it.
func (s *Server) toOrderPage(c *fiber.Ctx) error {
	ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
	l := purchasing.ToOrder{CSRF: s.csrfToken(c), Page: min(max(c.QueryInt("page", 1), 1), maxListPage)}
	mf := toOrderFilter()
	mf.Offset, mf.Limit = (l.Page-1)*purchasing.PerPage, purchasing.PerPage
	list, err := models.ListRequisitions(ctx, db, v, mf)
	if err == nil && len(list.Rows) == 0 && list.Total > 0 {
		// A page past the end shows the last one.
		l.Page = (list.Total + purchasing.PerPage - 1) / purchasing.PerPage
		mf.Offset = (l.Page - 1) * purchasing.PerPage
		list, err = models.ListRequisitions(ctx, db, v, mf)
	}
	if err != nil {
		return err
	}
	l.Total = list.Total
	for _, r := range list.Rows {
		row := purchasing.ToOrderRow{ID: r.ID, Href: requisitionDocs.Path(r.ID), Justification: shorten(r.Justification, 80),
			Requester: r.RequesterName, Department: r.DepartmentName, Vendor: r.VendorName,
			Total: money.Money{Minor: r.TotalMinor, Currency: r.Currency}.String(), Approved: r.UpdatedAt.UTC().Format("2 Jan 2006"),
			NeededBy: formatDate(r.NeededBy)}
		if r.Number != nil {
			row.Number = *r.Number
		}
		l.Rows = append(l.Rows, row)
	}
	p := page{Title: "To order", Nav: purchasing.ToOrderPath, Content: purchasing.ToOrderPage(l)}
	if htmxTarget(c) == purchasing.ToOrderResultsID {
		p.Partial = purchasing.ToOrderResults(l)
		c.Set("HX-Push-Url", l.Pager().URL(l.Page))
	}
	return s.render(c, http.StatusOK, p)
}
