package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/audit"
	"outlay/models"
	"outlay/policy"
	"outlay/sheet"
	"outlay/storage"
	"outlay/tenancy"
	"outlay/views"
	"outlay/views/imports"
)

// The import pages: /admin/import offers the kinds, their templates and the upload; an
// uploaded file gets a page of its own that checks every row (the preview, whose column
// mapping the admin may correct), commits it, and then shows its progress and result.

func importKindView(k *models.ImportKind) imports.Kind {
	v := imports.Kind{Name: k.Name, Label: k.Label}
	var key []string
	for _, name := range k.Key {
		c, _ := k.Column(name)
		key = append(key, strings.ToLower(strings.TrimSuffix(strings.SplitN(c.Label, " (", 2)[0], " ")))
	}
	v.Key = strings.Join(key, ", ")
	for _, c := range k.Columns {
		v.Columns = append(v.Columns, imports.Column{Name: c.Name, Label: c.Label, Help: c.Help, Required: c.Required})
	}
	return v
}

// mayImport reports whether the person may import records of kind k: the import permission
// opens the page, and each kind asks for its own pages' create or update as well (each row is
// checked again for the one it needs when the file is read and written).
func (s *Server) mayImport(c *fiber.Ctx, k *models.ImportKind) bool {
	return s.holds(c, policy.Permission{Object: k.Object, Action: outlay.ActCreate}) ||
		s.holds(c, policy.Permission{Object: k.Object, Action: outlay.ActUpdate})
}

func (s *Server) importPage(c *fiber.Ctx) error {
	return s.renderImportPage(c, http.StatusOK, c.Query("kind"), nil)
}

func (s *Server) renderImportPage(c *fiber.Ctx, status int, kind string, errs views.FieldErrors) error {
	recent, err := models.RecentImports(c.UserContext(), tenantDB(c), 10)
	if err != nil {
		return err
	}
	p := imports.Page{CSRFToken: s.csrfToken(c), Kind: kind, Errors: errs, MaxMB: sheet.DefaultLimits.MaxBytes >> 20, ReadOnly: readOnly(c)}
	for _, k := range models.ImportKinds() {
		if s.mayImport(c, k) {
			p.Kinds = append(p.Kinds, importKindView(k))
		}
	}
	for _, m := range recent {
		kind := m.Kind
		if k, ok := models.FindImportKind(m.Kind); ok {
			kind = k.Label
		}
		p.Recent = append(p.Recent, imports.Recent{ID: m.ID, Kind: kind, Filename: m.Filename, Status: m.Status, When: moment(m.CreatedAt),
			Rows: m.TotalRows, Created: m.CreatedCount, Updated: m.UpdatedCount, Unchanged: m.UnchangedCount, Refused: m.RefusedCount})
	}
	return s.render(c, status, page{Title: "Import", Nav: imports.Path, Content: imports.ImportPage(p)})
}

// importTemplate sends a kind's template, as CSV or XLSX: its columns and an example row.
func (s *Server) importTemplate(c *fiber.Ctx) error {
	name, ext, _ := strings.Cut(c.Params("file"), ".")
	k, ok := models.FindImportKind(name)
	f, okFormat := sheet.ParseFormat(ext)
	if !ok || !okFormat || f == sheet.JSONL {
		return outlay.ErrNotFound
	}
	var b bytes.Buffer
	if err := models.WriteImportFile(&b, f, k, []models.ImportValues{models.ImportExample(k)}); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, f.ContentType())
	c.Set(fiber.HeaderContentDisposition, storage.ContentDisposition(k.Name+"-template."+f.Ext()))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(b.Bytes())
}

// uploadImport reads an uploaded file (streamed from the connection, cut off past the
// import's size cap), checks that it is a file it claims to be, keeps it, and opens its
// preview. A file that cannot be read comes back beside the form with what is wrong.
func (s *Server) uploadImport(c *fiber.Ctx) error {
	kind := ""
	if v := s.multipartFields(c)["kind"]; len(v) > 0 {
		kind = v[0]
	}
	k, ok := models.FindImportKind(kind)
	if !ok {
		return s.renderImportPage(c, http.StatusUnprocessableEntity, kind, views.FieldErrors{"kind": "Choose what the file holds."})
	}
	if !s.mayImport(c, k) {
		noun := strings.ToLower(k.Label)
		return s.renderImportPage(c, http.StatusUnprocessableEntity, "", views.FieldErrors{"kind": "Your roles do not let you add or change " + noun + ", so you cannot import them."})
	}
	f, err := s.uploadedFile(c, "file")
	if v, refused := outlay.AsValidation(err); refused {
		v["file"] = "Choose a CSV or Excel file to import."
		return s.renderImportPage(c, http.StatusUnprocessableEntity, kind, v)
	}
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(f, sheet.DefaultLimits.MaxBytes+1))
	if err != nil {
		return err
	}
	t, plan, err := models.ReadImportFile(k, data, f.FileName())
	if v, refused := outlay.AsValidation(err); refused {
		return s.renderImportPage(c, http.StatusUnprocessableEntity, kind, v)
	}
	if err != nil {
		return err
	}
	m, err := models.SaveImportUpload(c.UserContext(), tenantDB(c), currentUser(c).UserID, k, storage.SanitizeFilename(f.FileName()), data, t, plan)
	if err != nil {
		return err
	}
	return redirect(c, imports.ItemPath(m.ID))
}

// importItem shows an import: its preview until committed, then its progress and result.
func (s *Server) importItem(c *fiber.Ctx) error {
	m, err := s.importOf(c)
	if errors.Is(err, errUploadExpired) {
		return s.renderImportPage(c, http.StatusGone, kindOf(m), views.FieldErrors{"": s.uploadExpiredMessage(m)})
	}
	if err != nil {
		return err
	}
	if m.Status != models.ImportUploaded {
		return s.render(c, http.StatusOK, page{Title: "Import", Nav: imports.Path, Content: imports.ProgressPage(s.importProgressView(c, m))})
	}
	return s.renderImportPreview(c, http.StatusOK, m, nil)
}

// errUploadExpired means an import is an upload that was not committed in time: it is older
// than config.ImportUploadTTL, or already deleted for it.
var errUploadExpired = errors.New("import upload expired")

// importOf reads the import the path names; an upload that expired is errUploadExpired (with
// the import, when it is not deleted yet).
func (s *Server) importOf(c *fiber.Ctx) (*models.Import, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	m, err := models.GetImport(c.UserContext(), tenantDB(c), id)
	switch {
	case errors.Is(err, outlay.ErrNotFound):
		removed, rerr := models.ImportWasRemoved(c.UserContext(), tenantDB(c), id)
		if rerr != nil {
			return nil, rerr
		}
		if removed {
			return nil, errUploadExpired
		}
	case err == nil && m.UploadExpired(time.Now(), s.cfg.ImportUploadTTL):
		return m, errUploadExpired
	}
	return m, err
}

// uploadOf is importOf for the steps of an upload (mapping, commit): an upload that expired
// is sent to its page, which says so.
func (s *Server) uploadOf(c *fiber.Ctx) (*models.Import, error) {
	m, err := s.importOf(c)
	if errors.Is(err, errUploadExpired) {
		id, _ := pathID(c, "id")
		return nil, redirect(c, imports.ItemPath(id))
	}
	return m, err
}

// uploadExpiredMessage tells the admin that the upload m (nil: deleted) expired and to upload
// the file again.
func (s *Server) uploadExpiredMessage(m *models.Import) string {
	ttl := s.cfg.ImportUploadTTL
	within := ttl.String()
	if ttl%time.Hour == 0 {
		within = views.Plural(int(ttl/time.Hour), "hour", "hours")
	}
	if m == nil {
		return fmt.Sprintf("This upload expired: a file that is not imported within %s is deleted. Upload the file again.", within)
	}
	return fmt.Sprintf("The upload of “%s” expired: a file that is not imported within %s is deleted. Upload the file again.", m.Filename, within)
}

// kindOf is the kind of import m (nil: none known), for the upload form to offer again.
func kindOf(m *models.Import) string {
	if m == nil {
		return ""
	}
	return m.Kind
}

func (s *Server) renderImportPreview(c *fiber.Ctx, status int, m *models.Import, planErr error) error {
	k, _ := models.FindImportKind(m.Kind)
	var until time.Time // zero: no limit, for a configuration that sets none
	if d := s.cfg.ImportCheckTime; d > 0 {
		until = time.Now().Add(d)
	}
	t, res, err := models.PreviewImport(c.UserContext(), tenantDB(c), m, grantor(c), s.invitationMail(c), until)
	v, refused := outlay.AsValidation(err)
	if err != nil && !refused && !errors.Is(err, models.ErrImportRefused) {
		return err
	}
	p := imports.Preview{ID: m.ID, CSRFToken: s.csrfToken(c), Kind: importKindView(k), Filename: m.Filename,
		Background: m.TotalRows > models.ImportJobRows}
	if t != nil {
		p.FileInfo = fileInfo(t, m.TotalRows)
		p.FileColumns = fileColumns(t, m.Plan())
	}
	if planErr != nil {
		v, refused = outlay.AsValidation(planErr)
	}
	if refused {
		p.MappingError = strings.TrimSpace(v["mapping"] + " " + v["file"])
		status = http.StatusUnprocessableEntity
	}
	if res != nil {
		if res.Read != "" && p.FileInfo != "" {
			p.FileInfo += "; " + res.Read
		}
		p.Total, p.Created, p.Updated, p.Unchanged, p.Refused = res.Rows, res.Created, res.Updated, res.Unchanged, res.Refused
		p.Unchecked, p.CheckTime = res.Unchecked, views.Plural(int(s.cfg.ImportCheckTime/time.Second), "second", "seconds")
		p.Shown, p.Rows = importRowsView(k, m.Plan(), res.Sample)
		p.Reinvited = s.reinvitedView(res, false)
		if p.Refused == 0 {
			p.Invited = s.invitedNote(res, false)
		}
	}
	return s.render(c, status, page{Title: "Import " + k.Label, Nav: imports.Path, Content: imports.PreviewPage(p),
		Partials: partials{imports.PreviewID: imports.PreviewSection(p)}})
}

// fileInfo describes how a file was read: "CSV (Windows-1252, semicolon-separated), 12 rows".
func fileInfo(t *sheet.Table, rows int) string {
	info := t.Format.Label()
	switch {
	case t.Format == sheet.CSV:
		info += fmt.Sprintf(" (%s, %s-separated)", t.Encoding, sheet.DelimiterName(t.Delimiter))
	case t.Sheets > 1:
		info += fmt.Sprintf(" (the sheet “%s”, of %d)", t.Sheet, t.Sheets)
	}
	return info + ", " + views.Plural(rows, "row", "rows")
}

func fileColumns(t *sheet.Table, p models.ImportPlan) []imports.FileColumn {
	out := make([]imports.FileColumn, len(p.Mapping))
	for i := range out {
		out[i] = imports.FileColumn{Index: i, Header: "Column " + strconv.Itoa(i+1), Mapped: p.Mapping[i]}
		if p.HeaderRow >= 0 && i < len(t.Rows[p.HeaderRow]) && strings.TrimSpace(t.Rows[p.HeaderRow][i]) != "" {
			out[i].Header = t.Rows[p.HeaderRow][i]
		}
	}
	return out
}

// importRowsView lays out rows under the kind's columns that the file has.
func importRowsView(k *models.ImportKind, p models.ImportPlan, rows []models.ImportRow) ([]imports.Column, []imports.Row) {
	var shown []imports.Column
	for _, c := range importKindView(k).Columns {
		for _, m := range p.Mapping {
			if m == c.Name {
				shown = append(shown, c)
				break
			}
		}
	}
	out := make([]imports.Row, len(rows))
	for i, r := range rows {
		out[i] = imports.Row{Line: r.Line, Outcome: r.Outcome, RowError: r.Errors[""]}
		for _, c := range shown {
			out[i].Cells = append(out[i].Cells, imports.Cell{Value: r.Values[c.Name], Error: r.Errors[c.Name]})
		}
		for field, msg := range r.Errors {
			if _, ok := k.Column(field); ok && field != "" && !slicesHasColumn(shown, field) {
				out[i].RowError = strings.TrimSpace(out[i].RowError + " " + msg)
			}
		}
	}
	return shown, out
}

func slicesHasColumn(cols []imports.Column, name string) bool {
	for _, c := range cols {
		if c.Name == name {
			return true
		}
	}
	return false
}

// importMapping takes a corrected mapping (a select per column of the file) and checks the
// file again with it.
func (s *Server) importMapping(c *fiber.Ctx) error {
	m, err := s.uploadOf(c)
	if m == nil || err != nil {
		return err
	}
	var post struct {
		Columns map[int64]string `form:"col_*,trim"` // the field each column of the file fills, by column
	}
	bindForm(c, &post)
	for i := range m.Mapping {
		m.Mapping[i] = post.Columns[int64(i)]
	}
	k, _ := models.FindImportKind(m.Kind)
	planErr := k.CheckPlan(m.Plan())
	if planErr == nil {
		if err := models.SetImportPlan(c.UserContext(), tenantDB(c), m.ID, m.Plan()); err != nil {
			return err
		}
	}
	if !isHTMX(c) && planErr == nil {
		return redirect(c, imports.ItemPath(m.ID))
	}
	return s.renderImportPreview(c, http.StatusOK, m, planErr)
}

// commitImport writes an import: a small file at once, a large one through a job whose
// progress its page shows. Import pressed twice (a double click, a resent request) runs it
// once: the other press goes to its page, which shows how far it is or what it did.
func (s *Server) commitImport(c *fiber.Ctx) error {
	m, err := s.uploadOf(c)
	if m == nil || err != nil {
		return err
	}
	if m.Status != models.ImportUploaded && !m.MayRetry() {
		return redirect(c, imports.ItemPath(m.ID))
	}
	if m.TotalRows > models.ImportJobRows && s.jobs != nil {
		queued, err := models.QueueImport(c.UserContext(), tenantDB(c), m.ID)
		if err != nil {
			return err
		}
		if queued {
			if err := s.jobs.RunImport(c.UserContext(), tenantOf(c).Slug, m.ID, audit.ActorFrom(c.UserContext()), currentUser(c).Name); err != nil {
				return err
			}
		}
		return redirect(c, imports.ItemPath(m.ID))
	}
	done, err := models.CommitImport(c.UserContext(), tenantDB(c), tenantDB(c), m.ID, models.CommitFrom, grantor(c), s.invitationMail(c), nil, false)
	if errors.Is(err, models.ErrImportTaken) {
		return redirect(c, imports.ItemPath(m.ID))
	}
	if tenancy.Unavailable(err) {
		// A lock not had in time (another import holding the access lock), the database busy:
		// the admin may press Import again, and is answered "try again".
		if rerr := models.RetryImport(c.UserContext(), tenantDB(c), m.ID, models.ImportUploaded); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	if err != nil {
		return err
	}
	if done.Status == models.ImportDone && done.Result != nil {
		for _, id := range done.Result.InvitationMails() {
			s.deliverMail(c, id)
		}
	}
	return redirect(c, imports.ItemPath(m.ID))
}

// importProgress is the progress bar (or, once done, the result) that the page polls.
func (s *Server) importProgress(c *fiber.Ctx) error {
	m, err := s.importOf(c)
	if errors.Is(err, errUploadExpired) {
		return outlay.NotFound("That import does not exist.")
	}
	if err != nil {
		return err
	}
	return sendHTML(c, imports.ProgressPanel(s.importProgressView(c, m)))
}

func (s *Server) importProgressView(c *fiber.Ctx, m *models.Import) imports.Progress {
	k, _ := models.FindImportKind(m.Kind)
	p := imports.Progress{ID: m.ID, Kind: k.Label, Filename: m.Filename, Status: m.Status, Message: m.Message,
		Done: m.DoneRows, Total: m.TotalRows, Percent: m.Percent(), Finished: m.Finished(), Retry: m.MayRetry(), CSRFToken: s.csrfToken(c),
		Created: m.CreatedCount, Updated: m.UpdatedCount, Unchanged: m.UnchangedCount, Refused: m.RefusedCount}
	if m.Result != nil {
		var refused []models.ImportRow
		for _, r := range m.Result.Sample {
			if r.Outcome == models.ImportRefused {
				refused = append(refused, r)
			}
		}
		p.Shown, p.Rows = importRowsView(k, m.Plan(), refused)
		if m.Status == models.ImportDone {
			p.Reinvited = s.reinvitedView(m.Result, true)
			p.Invited = s.invitedNote(m.Result, true)
		}
	}
	return p
}

// invitedNote says what becomes (done: became) of the invitations of the new people an
// import invites: each is sent one, as when invited by hand; without a mail server, the admin
// is told where to get the links to pass on.
func (s *Server) invitedNote(res *models.ImportResult, done bool) string {
	n := res.Invited
	partial := !done && res.MayInviteMore()
	if n == 0 && !partial {
		return ""
	}
	subject, each, was := "The "+views.Plural(n, "new person", "new people"), "Each of the "+views.Plural(n, "new person", "new people"), "were"
	switch {
	case partial:
		// Rows not checked yet may invite more: no count.
		subject, each = "The new people", "Each new person"
	case n == 1:
		subject, each, was = "The new person", "The new person", "was"
	}
	switch {
	case !done && !s.mailConfigured():
		return fmt.Sprintf("%s will be invited, but %s Resend each invitation from the person's page to get a link to pass on.", subject, noMailNote)
	case !done:
		return each + " will be sent an invitation to set a password. Its link works for 72 hours."
	case !s.mailConfigured():
		return fmt.Sprintf("%s %s invited, but %s Resend each invitation from the person's page to get a link to pass on.", subject, was, noMailNote)
	default:
		return each + " was sent an invitation to set a password. Its link works for 72 hours."
	}
}

// reinvitedView lists the invited people whose set-password links an import spends (done:
// spent) by giving them more access, each with what becomes of their new invitation.
// Without a mail server nothing reaches them, so the admin is told to resend the invitation
// from the person's page, where the link to pass on is shown.
func (s *Server) reinvitedView(res *models.ImportResult, done bool) []imports.Reinvitation {
	out := make([]imports.Reinvitation, len(res.Reinvited))
	for i, r := range res.Reinvited {
		out[i] = imports.Reinvitation{Line: r.Line, Name: r.Name, Email: r.Email, Note: r.Refusal}
		switch {
		case r.Refusal != "":
		case !done && !s.mailConfigured():
			out[i].Note = fmt.Sprintf("a new invitation will be made, but %s Resend the invitation from %s's page to get a link to pass on.", noMailNote, r.Name)
		case !done:
			out[i].Note = "a new invitation will be sent to them."
		case !s.mailConfigured():
			out[i].Note = fmt.Sprintf("a new invitation was made, but %s Resend the invitation from %s's page to get a link to pass on.", noMailNote, r.Name)
		default:
			out[i].Note = "a new invitation was sent to them. Its link works for 72 hours."
		}
	}
	return out
}
