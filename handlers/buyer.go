package handlers

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"outlay/models"
	"outlay/money"
	"outlay/sheet"
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
	l := purchasing.ToOrder{CSRF: s.csrfToken(c), ExportURL: exportURL(c, purchasing.ToOrderPath)}
	_, l.Page = listQuery(c)
	mf := toOrderFilter()
	mf.Limit = purchasing.PerPage
	list, err := fetchPage(&l.Page, purchasing.PerPage, func(offset int) (models.RequisitionList, error) {
		mf.Offset = offset
		return models.ListRequisitions(ctx, db, v, mf)
	}, requisitionListSize)
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
	p := page{Title: "To order", Nav: purchasing.ToOrderPath, Content: purchasing.ToOrderPage(l),
		Partials: partials{purchasing.ToOrderResultsID: purchasing.ToOrderResults(l)}, PushURL: l.Pager().URL(l.Page)}
	return s.render(c, http.StatusOK, p)
}

// toOrderExport exports the requisitions waiting for their order, longest waiting first.
var toOrderExport = &listExport{name: "requisitions-to-order",
	columns: cols("id", "ID", "number", "Number", "justification", "Justification", "requester", "Requester", "department", "Department",
		"vendor", "Vendor", "currency", "Currency", "total", "Total", "approved_at", "Approved", "needed_by", "Needed by"),
	rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
		ctx, db, v := c.UserContext(), tenantDB(c), s.viewer(c)
		return func(emit func(...any) error) (int, error) {
			return models.EachRequisition(ctx, db, v, toOrderFilter(), func(r models.RequisitionSummary) error {
				// An approved requisition's last change is its approval: the page shows it so.
				return emit(r.ID, r.Number, r.Justification, r.RequesterName, r.DepartmentName, r.VendorName, r.Currency,
					amount(r.TotalMinor, r.Currency), r.UpdatedAt, sheet.DayOf(r.NeededBy))
			})
		}, nil
	},
}
