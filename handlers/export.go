package handlers

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay/audit"
	"outlay/money"
	"outlay/sheet"
)

// listExport describes how one list is exported; one handler (exportList) serves every list
// from its description. The export holds what the list's page shows with the same filters,
// every page of it, streamed: rows are read from the database one at a time and written to
// the response as they come, so memory stays flat however long the list.
type listExport struct {
	name    string // names the file and the audit entry: "requisitions", "all-requisitions"
	columns []sheet.Column
	// rows reads the request's filters exactly as the list's page does and returns what
	// writes every row they match. A refused filter is returned at once, before any byte of
	// the file is sent.
	rows func(s *Server, c *fiber.Ctx) (rowStream, error)
}

// rowStream writes a list's rows through emit, one value per column, and says how many.
type rowStream func(emit func(values ...any) error) (int, error)

// exportPath is the address of a list's export.
func exportPath(list string) string { return strings.TrimSuffix(list, "/") + "/export" }

// exportRoute is the route of list's export, needing the permission its page needs.
func (s *Server) exportRoute(list, object, action string, x *listExport) Route {
	return permitted(get, exportPath(list), object, action, s.exportList(x)).getOnly()
}

// ownExportRoute is the route of the export of a list each signed-in person has of their own
// (their notifications), needing no permission, as its page needs none.
func (s *Server) ownExportRoute(list string, x *listExport) Route {
	return signedIn(get, exportPath(list), s.exportList(x)).getOnly()
}

// exportURL is the export address of the list on screen, with the page's filters (not its
// page number: an export holds every page).
func exportURL(c *fiber.Ctx, list string) string {
	q := exportFilters(c)
	if q == "" {
		return exportPath(list)
	}
	return exportPath(list) + "?" + q
}

// exportFilters are the request's filters as a query string, without the page and format.
func exportFilters(c *fiber.Ctx) string {
	v, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	for _, k := range []string{"page", "format", "before"} {
		v.Del(k)
	}
	return v.Encode()
}

func (s *Server) exportList(x *listExport) fiber.Handler {
	return func(c *fiber.Ctx) error {
		format, ok := sheet.ParseFormat(c.Query("format", string(sheet.CSV)))
		if !ok {
			return fiber.NewError(http.StatusBadRequest, "Export as csv, xlsx or jsonl.")
		}
		// The body is written after the handler returns, when the request lets go of the
		// tenant's handle: were the handle then retired (the tenant least recently used of
		// many), it would be closed under the export, whose closing audit event would be
		// lost. The stream holds the handle itself until its event is written, and reads
		// through that hold. It takes no request's turn: it goes at the client's pace.
		held, release, err := s.pools.Acquire(c.UserContext(), *tenantOf(c))
		if err != nil {
			return err
		}
		st := stateOf(c)
		own := st.db
		st.db = held
		stream, err := x.rows(s, c)
		if err != nil {
			st.db = own
			release()
			return err
		}
		ctx, db, filters := c.UserContext(), tenantDB(c), exportFilters(c)
		name := fmt.Sprintf("%s-%s-%s.%s", tenantOf(c).Slug, x.name, time.Now().UTC().Format("20060102-150405"), format.Ext())
		c.Set(fiber.HeaderContentType, format.ContentType())
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
		c.Set(fiber.HeaderCacheControl, "no-store")
		// The stream takes only values captured here, never c. fasthttp runs it at once, in a
		// goroutine of its own, whether or not the body is ever sent, so the hold is always
		// let go.
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			defer release()
			n, err := writeList(w, format, x.columns, stream)
			if err == nil {
				err = w.Flush()
			}
			details := map[string]any{"list": x.name, "format": string(format), "rows": n, "filter": filters}
			if err != nil {
				details["incomplete"] = true
				slog.Warn("export stopped", "list", x.name, "rows", n, "err", err)
			}
			if err := audit.Event(ctx, db, "export", x.name, details); err != nil {
				slog.Error("audit of an export", "list", x.name, "err", err)
			}
		})
		return nil
	}
}

// writeList writes the rows of stream to w as a file of format f with the given columns.
func writeList(w io.Writer, f sheet.Format, cols []sheet.Column, stream rowStream) (int, error) {
	sw, err := sheet.NewWriter(f, w, cols)
	if err != nil {
		return 0, err
	}
	n, err := stream(func(values ...any) error { return sw.Row(values) })
	if err != nil {
		return n, err
	}
	return n, sw.Close()
}

// cols builds column specs from key/title pairs.
func cols(pairs ...string) []sheet.Column {
	out := make([]sheet.Column, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, sheet.Column{Key: pairs[i], Title: pairs[i+1]})
	}
	return out
}

// amount is an amount in minor units of currency as an export writes it: a plain decimal
// number ("-12.50") that spreadsheets read as a number.
func amount(minor int64, currency string) sheet.Decimal {
	return sheet.Decimal(money.Money{Minor: minor, Currency: currency}.Plain())
}

// sendDownload sends body as a file to save, never kept by a cache.
func sendDownload(c *fiber.Ctx, contentType, name string, body []byte) error {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}
