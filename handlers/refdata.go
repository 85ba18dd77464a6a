package handlers

import (
	"context"
	"fmt"
	"github.com/a-h/templ"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"outlay"
	"outlay/models"
	"outlay/policy"
	"outlay/views"
	"outlay/views/refdata"
)

// refRecord is one stored record of reference data as the shared pages show it.
type refRecord struct {
	ID       int64
	Name     string
	Archived bool
	Version  string            // the version its edit form carries (models.VersionAt)
	Values   map[string]string // the edit form's values, keyed by field name
	Facts    []refdata.Fact
}

// refKind describes one kind of reference data (departments, vendors, ...) to the shared
// handlers below, which serve its create form, record page, edit, archive and history. Each
// kind's list page is its own handler, because its columns and filters differ. Its save
// creates a record (id 0), or changes record id as its edit form, read at version read,
// shows it: a form read before the record last changed is refused (models.StaleFormError).
type refKind struct {
	object string // the policy object its routes name
	path   string // its list page; records live under it
	table  string // the audited table, for the History page
	noun   string // "vendor"
	title  string // "New vendor" page title is built from noun; this is the list's title
	intro  string // what the create page says
	// fields lists the form's inputs with their choices; cur is the record being edited (nil
	// when creating), whose current choices stay offered even if archived since.
	fields func(ctx context.Context, db *gorm.DB, cur *refRecord) ([]refdata.Field, error)
	// blank is the create form's starting values.
	blank   func(ctx context.Context, db *gorm.DB) (map[string]string, error)
	load    func(ctx context.Context, db *gorm.DB, id int64) (*refRecord, error)
	save    func(ctx context.Context, db *gorm.DB, id int64, read models.FormVersion, vals map[string]string) (int64, error)
	archive func(ctx context.Context, db *gorm.DB, id int64, archived bool) error
	// export downloads the kind's list with its filters (set in refdata_export.go).
	export *listExport
	// extra, if set, adds more about a record to its page.
	extra func(s *Server, c *fiber.Ctx, rec *refRecord) (templ.Component, error)
	// relatedTable and relatedKey, if set, name a table whose rows belong to a record (by
	// that column) and whose changes its History shows too (a vendor's bank details).
	relatedTable, relatedKey string
}

func (k *refKind) perm(action string) policy.Permission {
	return policy.Permission{Object: k.object, Action: action}
}

// refFilterOf reads a list's search, archive state and page from the query string.
func refFilterOf(c *fiber.Ctx, path string) (refdata.Filter, models.RefFilter) {
	f := refdata.Filter{Path: path}
	f.Q, f.Page = listQuery(c)
	switch c.Query("state") {
	case refdata.StateArchived, refdata.StateAll:
		f.State = c.Query("state")
	}
	return f, models.RefFilter{Query: f.Q, State: f.State, Offset: (f.Page - 1) * refdata.PerPage, Limit: refdata.PerPage}
}

// renderRefList sends a list page, or only its results to an htmx search. offset is the
// offset the model actually read, which moves a page past the end back to the last page.
func (s *Server) renderRefList(c *fiber.Ctx, k *refKind, l refdata.List, offset int) error {
	l.Filter.Page = offset/refdata.PerPage + 1
	l.Title, l.Noun, l.CSRF = k.title, k.noun, s.csrfToken(c)
	l.CanCreate, l.CanUpdate = s.can(c, k.perm(outlay.ActCreate)), s.can(c, k.perm(outlay.ActUpdate))
	if k.export != nil {
		l.ExportURL = exportURL(c, k.path)
	}
	p := page{Title: k.title, Nav: k.path, Content: refdata.ListPage(l),
		Partials: partials{refdata.ResultsID: refdata.Results(l)}, PushURL: l.Filter.URL(l.Filter.Page)}
	return s.render(c, http.StatusOK, p)
}

// refForm builds a kind's form holding vals.
func refForm(c *fiber.Ctx, k *refKind, cur *refRecord, vals map[string]string) (refdata.Form, error) {
	ctx, db := c.UserContext(), tenantDB(c)
	fields, err := k.fields(ctx, db, cur)
	if err != nil {
		return refdata.Form{}, err
	}
	for i, fd := range fields {
		fields[i].Value = vals[fd.Name]
		if fd.Type != "lookup" {
			continue
		}
		if fields[i].Value != fd.Value {
			// Another choice than the stored one (or none stored): its name is read by id.
			// Reference data's lookups choose people.
			if fields[i].Text, err = chosenName(ctx, db, fields[i].Value, models.PersonChoice); err != nil {
				return refdata.Form{}, err
			}
		}
		fields[i].Text = typedText(c, fd.Name, fields[i].Text)
	}
	return refdata.Form{Fields: fields, Errors: views.FieldErrors{}}, nil
}

// bindRef reads the submitted values of a kind's fields; a lookup's name typed and not
// chosen is the record it names (typedChoice), or refused in the errors it returns.
func (s *Server) bindRef(c *fiber.Ctx, k *refKind, cur *refRecord) (map[string]string, views.FieldErrors, error) {
	fields, err := k.fields(c.UserContext(), tenantDB(c), cur)
	if err != nil {
		return nil, nil, err
	}
	var post namedFields
	bindForm(c, &post)
	vals, typed := map[string]string{}, outlay.ValidationErrors{}
	for _, f := range fields {
		v := post.Values[f.Name]
		if f.Type == "lookup" {
			if err := s.typedChoice(c, typed, f.Name, f.Lookup, &v); err != nil {
				return nil, nil, err
			}
		}
		vals[f.Name] = v
	}
	if len(typed) > 0 {
		return vals, typed, nil
	}
	return vals, nil, nil
}

// refErrors turns a refusal into messages beside the fields; any other error is returned.
func refErrors(err error) (views.FieldErrors, error) {
	if v, ok := outlay.AsValidation(err); ok {
		return v, nil
	}
	return nil, err
}

func (s *Server) refNew(k *refKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		vals, err := k.blank(c.UserContext(), tenantDB(c))
		if err != nil {
			return err
		}
		return s.renderRefNew(c, k, http.StatusOK, vals, nil)
	}
}

func (s *Server) renderRefNew(c *fiber.Ctx, k *refKind, status int, vals map[string]string, errs views.FieldErrors) error {
	f, err := refForm(c, k, nil, vals)
	if err != nil {
		return err
	}
	f.Action, f.CSRF, f.Submit, f.Cancel = k.path, s.csrfToken(c), "Add "+k.noun, k.path
	if errs != nil {
		f.Errors = errs
	}
	title := "New " + k.noun
	p := page{Title: title, Nav: k.path, Content: refdata.CreatePage(refdata.NewPage{Title: title, Intro: k.intro, ListPath: k.path, ListLabel: "Back to " + strings.ToLower(k.title), Form: f}),
		Partials: partials{refdata.FormID: refdata.RecordForm(f)}}
	return s.render(c, status, p)
}

func (s *Server) refCreate(k *refKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, db := c.UserContext(), tenantDB(c)
		vals, typed, err := s.bindRef(c, k, nil)
		if err != nil {
			return err
		}
		if typed != nil {
			return s.renderRefNew(c, k, http.StatusUnprocessableEntity, vals, typed)
		}
		id, err := k.save(ctx, db, 0, models.FormVersion{}, vals)
		errs, err := refErrors(err)
		if err != nil {
			return err
		}
		if len(errs) > 0 {
			return s.renderRefNew(c, k, http.StatusUnprocessableEntity, vals, errs)
		}
		rec, err := k.load(ctx, db, id)
		if err != nil {
			return err
		}
		s.setFlash(c, "success", fmt.Sprintf("Added the %s %s.", k.noun, rec.Name))
		return redirect(c, k.path)
	}
}

// refFromPath loads the record the URL names; an id that is not a number is as unknown as
// one that names nothing.
func refFromPath(c *fiber.Ctx, k *refKind) (*refRecord, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, outlay.ErrNotFound
	}
	return k.load(c.UserContext(), tenantDB(c), id)
}

func (s *Server) refShow(k *refKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rec, err := refFromPath(c, k)
		if err != nil {
			return err
		}
		return s.renderRefDetail(c, k, http.StatusOK, rec, rec.Values, views.RecordVersion{Version: rec.Version}, nil)
	}
}

// renderRefDetail shows a record's page, its edit form holding vals at version ver.
func (s *Server) renderRefDetail(c *fiber.Ctx, k *refKind, status int, rec *refRecord, vals map[string]string, ver views.RecordVersion, errs views.FieldErrors) error {
	item := refdata.ItemPath(k.path, rec.ID)
	d := refdata.Detail{Title: rec.Name, ListPath: k.path, ListLabel: "All " + strings.ToLower(k.title), HistoryPath: item + "/history",
		ItemPath: item, Archived: rec.Archived, Noun: k.noun, CSRF: s.csrfToken(c), CanUpdate: s.can(c, k.perm(outlay.ActUpdate)),
		Facts: rec.Facts, FormTitle: "Edit " + k.noun}
	if k.extra != nil {
		x, err := k.extra(s, c, rec)
		if err != nil {
			return err
		}
		d.Extra = x
	}
	if d.CanUpdate {
		f, err := refForm(c, k, rec, vals)
		if err != nil {
			return err
		}
		f.ID, f.Action, f.CSRF, f.Submit, f.RecordVersion = rec.ID, item, d.CSRF, "Save changes", ver
		if errs != nil {
			f.Errors = errs
		}
		d.Form = f
	}
	p := page{Title: rec.Name, Nav: k.path, Content: refdata.DetailPage(d),
		Partials: partials{refdata.FormID: refdata.RecordForm(d.Form)}}
	return s.render(c, status, p)
}

func (s *Server) refUpdate(k *refKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rec, err := refFromPath(c, k)
		if err != nil {
			return err
		}
		vals, typed, err := s.bindRef(c, k, rec)
		if err != nil {
			return err
		}
		var read models.FormVersion
		bindForm(c, &read)
		if typed != nil {
			return s.renderRefDetail(c, k, http.StatusUnprocessableEntity, rec, vals, views.RecordVersion{Version: read.Version}, typed)
		}
		_, saveErr := k.save(c.UserContext(), tenantDB(c), rec.ID, read, vals)
		errs, err := refErrors(saveErr)
		if err != nil {
			return err
		}
		if len(errs) > 0 {
			// rec, read before the save, is the record as it now is: its page shows it beside
			// the form as typed.
			ver := shownVersion(read.Version, saveErr, refdata.ItemPath(k.path, rec.ID))
			return s.renderRefDetail(c, k, http.StatusUnprocessableEntity, rec, vals, ver, errs)
		}
		if rec, err = k.load(c.UserContext(), tenantDB(c), rec.ID); err != nil {
			return err
		}
		s.setFlash(c, "success", fmt.Sprintf("Saved the changes to %s.", rec.Name))
		return redirect(c, refdata.ItemPath(k.path, rec.ID))
	}
}

// refArchive archives a record (archived true) or brings it back, and returns to the page
// the button was on.
func (s *Server) refArchive(k *refKind, archived bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rec, err := refFromPath(c, k)
		if err != nil {
			return err
		}
		var post nextPost
		bindForm(c, &post)
		back := safeNext(post.Next)
		if back == "" {
			back = refdata.ItemPath(k.path, rec.ID)
		}
		switch {
		case rec.Archived == archived && archived:
			s.setFlash(c, "info", fmt.Sprintf("%s is already archived.", rec.Name))
		case rec.Archived == archived:
			s.setFlash(c, "info", fmt.Sprintf("%s is not archived.", rec.Name))
		default:
			errs, err := refErrors(k.archive(c.UserContext(), tenantDB(c), rec.ID, archived))
			switch {
			case err != nil:
				return err
			case len(errs) > 0:
				s.setFlash(c, "error", errs[""])
			case archived:
				s.setFlash(c, "success", fmt.Sprintf("Archived %s. It is no longer offered for new documents.", rec.Name))
			default:
				s.setFlash(c, "success", fmt.Sprintf("%s is back in use.", rec.Name))
			}
		}
		return redirect(c, back)
	}
}

func (s *Server) refHistory(k *refKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rec, err := refFromPath(c, k)
		if err != nil {
			return err
		}
		id := strconv.FormatInt(rec.ID, 10)
		return s.history(c, k.path, "History of "+rec.Name, refdata.ItemPath(k.path, rec.ID), "Back to "+rec.Name,
			models.RecordHistory{Table: k.table, RecordID: id, RelatedTable: k.relatedTable, RelatedKey: k.relatedKey})
	}
}
