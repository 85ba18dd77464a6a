package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/accounting"
	"outlay/models"
	"outlay/money"
	"outlay/policy"
	"outlay/views/expenses"
	"outlay/views/payables"
)

var (
	accountingCreate = policy.Permission{Object: outlay.ObjAccounting, Action: outlay.ActCreate}
	accountingExport = policy.Permission{Object: outlay.ObjAccounting, Action: outlay.ActExport}
)

// exportsPage shows what is new since the last batch and the batches made.
func (s *Server) exportsPage(c *fiber.Ctx) error {
	ctx, db := c.UserContext(), tenantDB(c)
	fresh, err := models.NewSinceLastBatch(ctx, db)
	if err != nil {
		return err
	}
	batches, err := models.ListExportBatches(ctx, db, 100)
	if err != nil {
		return err
	}
	e := payables.Exports{CSRF: s.csrfToken(c), CanCreate: s.can(c, accountingCreate), CanDownload: s.can(c, accountingExport),
		ExportURL: exportURL(c, payables.ExportsPath)}
	e.Documents = models.CountExportDocs(fresh)
	for _, d := range fresh {
		kind, href := outlay.KindLabel(d.DocType), outlay.DocumentPath(d.DocType, d.DocID)
		if d.DocType == models.DocReimbursement { // a paid reimbursement batch, not a kind of document
			kind, href = "Reimbursement payment", expenses.BatchPath(d.DocID)
		}
		e.New = append(e.New, payables.ExportDoc{Kind: kind, Number: d.Number, Href: href, Party: d.Party, Date: dayText(d.Date), Total: money.Money{Minor: d.TotalMinor, Currency: d.Currency}.String()})
	}
	for _, b := range batches {
		v := payables.ExportBatch{ID: b.ID, Name: "Batch " + strconv.FormatInt(b.ID, 10), Created: formatMoment(&b.CreatedAt), By: b.CreatedBy,
			Documents: b.DocumentCount}
		if b.ReexportOfID != nil {
			v.Reexport = fmt.Sprintf("re-export of batch %d", *b.ReexportOfID)
		}
		for _, f := range accounting.Formats {
			v.Files = append(v.Files, payables.ExportFile{Label: f.Label(), Href: payables.ExportBatchPath(b.ID) + "/" + string(f)})
		}
		e.Batches = append(e.Batches, v)
	}
	return s.render(c, http.StatusOK, page{Title: "Accounting export", Nav: payables.ExportsPath, Content: payables.ExportsPage(e)})
}

// exportBatchExport exports the list of batches, every one of them (the page shows the latest).
var exportBatchExport = &listExport{name: "accounting-export-batches",
	columns: cols("id", "Batch", "created_at", "Made", "created_by", "By", "documents", "Documents", "reexport_of", "Re-export of"),
	rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
		ctx, db := c.UserContext(), tenantDB(c)
		return func(emit func(...any) error) (int, error) {
			return models.EachExportBatch(ctx, db, func(b models.ExportBatchRow) error {
				return emit(b.ID, b.CreatedAt, b.CreatedBy, b.DocumentCount, b.ReexportOfID)
			})
		}, nil
	},
}

// createExportBatch records a batch of everything new and returns to the page.
func (s *Server) createExportBatch(c *fiber.Ctx) error {
	b, err := models.CreateExportBatch(c.UserContext(), tenantDB(c), currentUser(c).UserID)
	return s.afterExportBatch(c, b, err, "Batch %d: %d documents exported. Download its file for your accounting system below.")
}

// reexportBatch records a new batch of an old batch's documents.
func (s *Server) reexportBatch(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return outlay.ErrNotFound
	}
	b, err := models.ReexportBatch(c.UserContext(), tenantDB(c), currentUser(c).UserID, id)
	return s.afterExportBatch(c, b, err, "Batch %d re-exports %d documents.")
}

func (s *Server) afterExportBatch(c *fiber.Ctx, b *models.ExportBatch, err error, done string) error {
	switch {
	case errors.Is(err, outlay.ErrConflict):
		s.setFlash(c, "info", err.Error())
	case err != nil:
		return err
	default:
		s.setFlash(c, "success", fmt.Sprintf(done, b.ID, b.DocumentCount))
	}
	return redirect(c, payables.ExportsPath)
}

// exportBatchFile downloads a batch in one of the accounting formats.
func (s *Server) exportBatchFile(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return outlay.ErrNotFound
	}
	f, ok := accounting.ParseFormat(c.Params("format"))
	if !ok {
		return outlay.ErrNotFound
	}
	if _, err := models.GetExportBatch(c.UserContext(), tenantDB(c), id); err != nil {
		return err
	}
	docs, err := models.BatchDocuments(c.UserContext(), tenantDB(c), id)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := accounting.Write(&buf, f, docs, accounting.DefaultAccounts); err != nil {
		return err
	}
	return sendDownload(c, "text/csv; charset=utf-8", fmt.Sprintf("batch-%d-%s.csv", id, f), buf.Bytes())
}
