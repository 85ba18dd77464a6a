package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"outlay"
	"outlay/audit"
	"outlay/models"
	"outlay/money"
	"outlay/policy"
	"outlay/sheet"
	"outlay/views"
	"outlay/views/auditlog"
	"outlay/views/roles"
	ssoviews "outlay/views/sso"
	"outlay/views/users"
)

var auditActions = []auditlog.Option{
	{Value: "create", Label: "Created"}, {Value: "update", Label: "Changed"},
	{Value: "delete", Label: "Deleted"}, {Value: "event", Label: "Security events"},
}

// auditFilter reads the filter form; bad dates come back as field errors.
func auditFilter(c *fiber.Ctx) (auditlog.Filter, models.AuditFilter, views.FieldErrors) {
	form := auditlog.Filter{Actor: strings.TrimSpace(c.Query("actor")), Object: c.Query("object"), Action: c.Query("action"),
		From: c.Query("from"), To: c.Query("to"), Q: strings.TrimSpace(c.Query("q"))}
	f := models.AuditFilter{Actor: form.Actor, Object: form.Object, Text: form.Q}
	errs := views.FieldErrors{}
	for _, a := range auditActions {
		if a.Value == form.Action {
			f.Action = a.Value
		}
	}
	if form.From != "" {
		d, err := models.ParseDay(form.From)
		if err != nil {
			errs["from"] = err.Error()
		}
		f.From = d
	}
	if form.To != "" {
		d, err := models.ParseDay(form.To)
		if err != nil {
			errs["to"] = err.Error()
		}
		f.To = d.AddDate(0, 0, 1) // "to" includes that whole day
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) && len(errs) == 0 {
		errs["to"] = "The end date is before the start date."
	}
	f.Before, _ = strconv.ParseInt(c.Query("before"), 10, 64)
	return form, f, errs
}

func (form filterQuery) encode(extra url.Values) string {
	v := url.Values{}
	for k, val := range map[string]string{"actor": form.Actor, "object": form.Object, "action": form.Action, "from": form.From, "to": form.To, "q": form.Q} {
		if val != "" {
			v.Set(k, val)
		}
	}
	for k, vals := range extra {
		v[k] = vals
	}
	return v.Encode()
}

type filterQuery auditlog.Filter

func (s *Server) auditPage(c *fiber.Ctx) error {
	ctx, db := c.UserContext(), tenantDB(c)
	form, f, errs := auditFilter(c)
	p := auditlog.Page{Filter: form, Errors: errs, Actions: auditActions}
	if len(errs) > 0 {
		objects, err := models.AuditObjects(ctx, db)
		if err != nil {
			return err
		}
		p.Objects = auditObjectOptions(objects)
		return s.render(c, http.StatusUnprocessableEntity, page{Title: "Audit log", Nav: auditlog.Path, Content: auditlog.LogPage(p)})
	}
	log, err := models.AuditLog(ctx, db, f)
	if err != nil {
		return err
	}
	p.Objects = auditObjectOptions(log.Objects)
	loc, err := s.orgZone(c)
	if err != nil {
		return err
	}
	p.Zone = loc.String()
	if p.Rows, err = auditRows(ctx, db, log.Entries, loc); err != nil {
		return err
	}
	q := filterQuery(form)
	if log.Next != 0 {
		p.NextURL = auditlog.Path + "?" + q.encode(url.Values{"before": {strconv.FormatInt(log.Next, 10)}})
	}
	if f.Before != 0 {
		p.FirstURL = auditlog.Path + "?" + q.encode(nil)
	}
	if s.can(c, policy.Permission{Object: outlay.ObjAudit, Action: outlay.ActExport}) {
		p.ExportURL = exportURL(c, auditlog.Path)
	}
	return s.render(c, http.StatusOK, page{Title: "Audit log", Nav: auditlog.Path, Content: auditlog.LogPage(p)})
}

// auditObjectOptions are the filter's object choices: security events, then each table the
// log holds rows of.
func auditObjectOptions(tables []string) []auditlog.Option {
	out := make([]auditlog.Option, 0, len(tables)+1)
	out = append(out, auditlog.Option{Value: "event", Label: "Security events"})
	for _, o := range tables {
		out = append(out, auditlog.Option{Value: o, Label: models.AuditTableLabel(o)})
	}
	return out
}

// auditExport is the audit log's export: every row the filter selects, newest first, values
// as stored (JSON as JSON text), read in one query and written as they come.
var auditExport = &listExport{name: "audit-log", columns: cols(auditColumnPairs()...),
	rows: func(s *Server, c *fiber.Ctx) (rowStream, error) {
		_, f, errs := auditFilter(c)
		if len(errs) > 0 {
			return nil, errs
		}
		f.Before = 0
		return auditExportRows(c.UserContext(), tenantDB(c), f), nil
	},
}

// auditColumnPairs keys and titles the export's columns by the same names.
func auditColumnPairs() []string {
	var out []string
	for _, c := range models.AuditExportColumns {
		out = append(out, c, c)
	}
	return out
}

// auditExportRows streams the audit log's rows the filter selects, as the export writes them:
// the ids as numbers, everything else as the text the database sent.
func auditExportRows(ctx context.Context, db *gorm.DB, f models.AuditFilter) rowStream {
	return func(emit func(...any) error) (int, error) {
		values := make([]any, len(models.AuditExportColumns))
		return models.StreamAuditLog(ctx, db, f, func(raw [][]byte) error {
			for i, v := range raw {
				switch {
				case v == nil:
					values[i] = nil
				case i == 0 || i == 3: // id, actor_id
					values[i] = sheet.Decimal(v)
				default:
					values[i] = v
				}
			}
			return emit(values...)
		})
	}
}

// valueText shows a recorded value; a time reads in loc, the organisation's time zone.
func valueText(v any, loc *time.Location) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if x == "" {
			return "—"
		}
		if x == audit.Redacted {
			return "(secret)"
		}
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.In(loc).Format("2 Jan 2006 15:04")
		}
		// A day (a date column) reads as the pages write days; it has no time zone.
		if len(x) == len(time.DateOnly) {
			if d, err := time.Parse(time.DateOnly, x); err == nil {
				return d.Format("2 Jan 2006")
			}
		}
		return x
	case bool:
		if x {
			return "Yes"
		}
		return "No"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// auditRows turns entries into what the log and History show, with the names of the records
// they point at, at times read in the organisation's time zone loc.
func auditRows(ctx context.Context, db *gorm.DB, entries []models.AuditEntry, loc *time.Location) ([]auditlog.Row, error) {
	names, err := models.AuditReferences(ctx, db, entries)
	if err != nil {
		return nil, err
	}
	rows := make([]auditlog.Row, len(entries))
	for i, e := range entries {
		rows[i] = auditRow(e, names, loc)
	}
	return rows, nil
}

// orgZone is the organisation's time zone, in which History and the audit log show times.
func (s *Server) orgZone(c *fiber.Ctx) (*time.Location, error) {
	st, err := s.orgSettings(c)
	if err != nil {
		return nil, err
	}
	return st.Location(), nil
}

// fieldText shows column col of a recorded row of table: a code in the words the pages use for
// it (columnValues), references to other records by name ("Engineering (#3)") and roles by
// their labels, amounts in minor units as money in the row's currency, quantities in
// thousandths as quantities, and tax rates in basis points as percent.
func fieldText(table, col string, row map[string]any, names models.AuditNames, loc *time.Location) string {
	v := row[col]
	if read, ok := models.ForColumn(columnValues, table, col); ok && v != nil {
		return read(historyCell{table: table, col: col, row: row, names: names, loc: loc})
	}
	if target, isRef := models.ReferencedTable(table, col); isRef {
		if text, ok := referenceText(target, v, names, loc); ok {
			return text
		}
	}
	if n, ok := models.WholeNumber(v); ok {
		currency := models.AmountCurrency(row, col, names.Records)
		switch {
		case strings.HasSuffix(col, "_minor") && money.ValidCurrency(currency):
			return money.Money{Minor: n, Currency: currency}.String()
		case strings.HasSuffix(col, "_milli"):
			return money.Quantity(n).String()
		case strings.HasSuffix(col, "_bp"):
			return money.FormatRate(int(n)) + "%"
		}
	}
	return valueText(v, loc)
}

var actionLabels = map[string]string{"create": "Created", "update": "Changed", "delete": "Deleted"}

// auditRow turns an entry into what the table shows.
func auditRow(e models.AuditEntry, names models.AuditNames, loc *time.Location) auditlog.Row {
	r := auditlog.Row{ID: e.ID, When: e.At.In(loc).Format("2 Jan 2006 15:04:05"), Who: e.ActorLabel, Kind: e.Action, RequestID: e.RequestID, IP: e.IP}
	switch e.ActorType {
	case "token":
		r.WhoKind = "API token"
	case "system":
		r.WhoKind = "system"
		if r.Who == "" || r.Who == "system" {
			r.Who = "Outlay"
		}
	default:
		r.WhoKind = "person"
	}
	if e.Action == "event" {
		ev := models.AuditEventOf(e.Event)
		r.Action, r.What = ev.Label, eventSubject(e, ev, names, loc)
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			r.Details = append(r.Details, auditlog.Change{Field: models.AuditFieldLabel(k), New: fieldText("event", k, e.Details, names, loc)})
		}
		return r
	}
	r.Action = actionLabels[e.Action]
	r.Object = models.AuditTableLabel(e.TableName)
	r.What = recordText(e, names, loc)
	for _, f := range models.HistoryFields(e) {
		c := auditlog.Change{Field: models.ColumnLabel(e.TableName, f)}
		switch e.Action {
		case "create":
			c.New = fieldText(e.TableName, f, e.New, names, loc)
		case "delete":
			c.New = fieldText(e.TableName, f, e.Old, names, loc)
		default:
			c.Old, c.New = fieldText(e.TableName, f, e.Old, names, loc), fieldText(e.TableName, f, e.New, names, loc)
		}
		r.Changes = append(r.Changes, c)
	}
	return r
}

// recordText names the record an entry changed: by its name ("REQ-000006", "Step 1 of
// REQ-000006 (Max Manager)"), a role by its label, a record keyed by several columns by what
// they name ("Role: Requester, Person: Bo Before (#2)"), or else by its table and id.
func recordText(e models.AuditEntry, names models.AuditNames, loc *time.Location) string {
	if parts, ok := models.CompositeKey(e.RecordID); ok {
		keys := make([]string, 0, len(parts))
		for k := range parts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = models.ColumnLabel(e.TableName, k) + ": " + fieldText(e.TableName, k, parts, names, loc)
		}
		return strings.Join(out, ", ")
	}
	if e.TableName == "roles" {
		if label, ok := names.Roles[e.RecordID]; ok {
			return label
		}
	}
	if id, err := strconv.ParseInt(e.RecordID, 10, 64); err == nil {
		if ref, found := names.Records[e.TableName][id]; found {
			return ref.Name
		}
	}
	return models.AuditTableLabel(e.TableName) + " #" + e.RecordID
}

// eventSubject says what a security event was about: the list an export held, the settings
// changed, the person or role it names by key, or its subject as recorded (an email, a file).
func eventSubject(e models.AuditEntry, ev models.AuditEvent, names models.AuditNames, loc *time.Location) string {
	switch ev.Subject {
	case models.SubjectExport:
		return exportLabel(e.Subject)
	case models.SubjectTable:
		return models.AuditTableLabel(e.Subject)
	}
	if table, key := models.EventSubject(e); table != "" {
		if text, ok := referenceText(table, key, names, loc); ok {
			return text
		}
	}
	return models.SubjectKey(e.Subject)
}

// history renders an object's History tab.
func (s *Server) history(c *fiber.Ctx, nav, title, backURL, backText string, h models.RecordHistory) error {
	entries, err := models.History(c.UserContext(), tenantDB(c), h, 200)
	if err != nil {
		return err
	}
	loc, err := s.orgZone(c)
	if err != nil {
		return err
	}
	v := auditlog.History{Title: title, BackURL: backURL, BackText: backText, Zone: loc.String()}
	if v.Rows, err = auditRows(c.UserContext(), tenantDB(c), entries, loc); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, page{Title: title, Nav: nav, Content: auditlog.HistoryPage(v)})
}

func (s *Server) userHistory(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return fiber.ErrNotFound
	}
	u, err := models.GetUser(c.UserContext(), tenantDB(c), id)
	if err != nil {
		return err
	}
	return s.history(c, users.ListPath, "History of "+u.Name, users.ListPath+"/"+c.Params("id"), "Back to "+u.Name,
		models.UserHistory(c.Params("id")))
}

func (s *Server) roleHistory(c *fiber.Ctx) error {
	role := c.Params("role")
	summaries, err := models.RoleSummaries(c.UserContext(), tenantDB(c))
	if err != nil {
		return err
	}
	for _, r := range summaries {
		if r.Name == role {
			return s.history(c, roles.ListPath, "History of the role "+r.Label, roles.ListPath, "Back to roles",
				models.RoleHistory(role))
		}
	}
	return fiber.ErrNotFound
}

func (s *Server) ssoProviderHistory(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return fiber.ErrNotFound
	}
	p, err := models.FindSSOProviderByID(c.UserContext(), tenantDB(c), id)
	if err != nil {
		return err
	}
	return s.history(c, ssoviews.Path, "History of "+p.Label, ssoviews.Path, "Back to single sign-on",
		models.SSOProviderHistory(c.Params("id")))
}

func (s *Server) requisitionHistory(c *fiber.Ctx) error {
	d, err := s.requisitionFromPath(c)
	if err != nil {
		return err
	}
	title := requisitionTitle(d)
	return s.history(c, requisitionDocs.Base, "History of "+title, requisitionDocs.Path(d.ID), "Back to "+title,
		requisitionDocs.RecordHistory(strconv.FormatInt(d.ID, 10)))
}

func (s *Server) purchaseOrderHistory(c *fiber.Ctx) error {
	d, err := s.purchaseOrderFromPath(c)
	if err != nil {
		return err
	}
	return s.history(c, purchaseOrderDocs.Base, "History of "+d.Number, purchaseOrderDocs.Path(d.ID), "Back to "+d.Number,
		purchaseOrderDocs.RecordHistory(strconv.FormatInt(d.ID, 10)))
}
