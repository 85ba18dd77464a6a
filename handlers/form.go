package handlers

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/models"
	"outlay/views"
)

// bindForm reads a submitted form into dst, a pointer to the form's input struct (a models
// input type, or the view-model a page re-renders), and is the one way handlers read forms.
// Each field of dst names its form field in a `form` tag; untagged fields and `form:"-"` are
// left alone.
//
//   - A string takes the field's value (from the query string or the body, as a form may
//     carry its state in its address) exactly as typed, so that a form shown again keeps it;
//     the tag option `trim` trims surrounding white space first (an email address).
//   - A bool is true when the field is sent with a value other than "" and "false" (a
//     checked checkbox, or a hidden "true").
//   - An int or int64 is the field's number, 0 when empty; a value that is not a whole number
//     is 0 and refused beside the field.
//   - A []string takes every value of a repeated field (the roles ticked).
//   - A slice of structs is the rows of a table (a document's lines): each of the element's
//     tagged fields arrives as a repeated field, and the n-th values make the n-th row; a row
//     missing a field (a tampered form) reads it as empty. There are as many rows as the
//     longest column, or as values of the column that `rows=NAME` names; at most maxFormRows
//     are read. A column named like a scalar field of dst (the header's currency beside each
//     line's) gives its first value to the scalar and the rest to the rows.
//   - A map[string]string or map[int64]string tagged `PREFIX*` takes every field whose name
//     starts with PREFIX, keyed by the rest of its name ("estimate-*": estimate-airfare);
//     "*" alone takes every field.
//
// The refusals it returns are keyed by form field, to be shown beside it; a handler that
// validates further adds its own to them (outlay.ValidationErrors.Absorb).
func bindForm(c *fiber.Ctx, dst any) outlay.ValidationErrors {
	errs := outlay.ValidationErrors{}
	b := formSource{c: c, used: map[string]int{}}
	v := reflect.ValueOf(dst).Elem()
	// Scalars first, so that a column shared with a scalar knows to skip its first value.
	b.fields(v, false, errs)
	b.fields(v, true, errs)
	return errs
}

// fields reads v's tagged fields, and those of the structs it embeds: its tables (rows) or
// all the others.
func (b formSource) fields(v reflect.Value, rows bool, errs outlay.ValidationErrors) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := v.Field(i)
		if t.Field(i).Anonymous && f.Kind() == reflect.Struct {
			b.fields(f, rows, errs)
			continue
		}
		tag, ok := t.Field(i).Tag.Lookup("form")
		if !ok || tag == "-" {
			continue
		}
		name, opts := parseFormTag(tag)
		table := f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct
		if table != rows {
			continue
		}
		switch {
		case table:
			b.rows(f, opts["rows"])
		case f.Kind() == reflect.Map:
			b.prefixed(f, strings.TrimSuffix(name, "*"), opts)
		case f.Kind() == reflect.Slice:
			for _, s := range b.all(name) {
				f.Set(reflect.Append(f, reflect.ValueOf(s)))
			}
		default:
			b.scalar(f, name, b.one(name), opts, errs)
		}
	}
}

// namedFields is a form whose fields are named at run time (a kind of reference data's
// fields, a notification kind's choice): every field, by name, to be read by the names
// expected.
type namedFields struct {
	Values map[string]string `form:"*"`
}

// nextPost is a form that names where to go back to when it is done (checked by safeNext).
type nextPost struct {
	Next string `form:"next"`
}

// codePost is a form that confirms a new authenticator with its first code.
type codePost struct {
	Code string `form:"code"`
}

// maxFormRows bounds the rows of a table read from a form: more than any document allows,
// so that a model still sees, and refuses, one row too many.
const maxFormRows = 256

func parseFormTag(tag string) (string, map[string]string) {
	parts := strings.Split(tag, ",")
	opts := map[string]string{}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		opts[k] = v
	}
	return parts[0], opts
}

// formSource reads one request's form fields.
type formSource struct {
	c    *fiber.Ctx
	used map[string]int // values of a repeated field already taken by a scalar
}

// one is a field's value as FormValue reads it: the query string's, else the body's.
func (b formSource) one(name string) string {
	b.used[name] = 1
	return b.c.FormValue(name)
}

// args are the fields repeated fields are read from: the query's on GET (and HEAD), else the
// body's.
func (b formSource) args() interface {
	PeekMulti(string) [][]byte
	VisitAll(func(k, v []byte))
} {
	if m := b.c.Method(); m == fiber.MethodGet || m == fiber.MethodHead {
		return b.c.Request().URI().QueryArgs()
	}
	return b.c.Request().PostArgs()
}

func (b formSource) all(name string) []string {
	var out []string
	for _, v := range b.args().PeekMulti(name) {
		out = append(out, string(v))
	}
	return out
}

func (b formSource) scalar(f reflect.Value, name, s string, opts map[string]string, errs outlay.ValidationErrors) {
	if _, trim := opts["trim"]; trim {
		s = strings.TrimSpace(s)
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		f.SetBool(s != "" && s != "false")
	case reflect.Int, reflect.Int64:
		if s == "" {
			return
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			errs.Add(name, "Enter a whole number.")
			return
		}
		f.SetInt(n)
	default:
		panic("bindForm: cannot read a form into a " + f.Type().String())
	}
}

func (b formSource) rows(f reflect.Value, countBy string) {
	columns := rowColumns(f.Type().Elem(), nil)
	cols := map[string][]string{}
	n := 0
	for _, col := range columns {
		vals := b.all(col.name)
		vals = vals[min(b.used[col.name], len(vals)):]
		cols[col.name] = vals
		if countBy == "" {
			n = max(n, len(vals))
		}
	}
	if countBy != "" {
		n = len(cols[countBy])
	}
	n = min(n, maxFormRows)
	rows := reflect.MakeSlice(f.Type(), n, n)
	for i := 0; i < n; i++ {
		for _, col := range columns {
			s := ""
			if i < len(cols[col.name]) {
				s = cols[col.name][i]
			}
			b.scalar(rows.Index(i).FieldByIndex(col.index), col.name, s, col.opts, outlay.ValidationErrors{})
		}
	}
	f.Set(rows)
}

// rowColumn is a tagged field of a table's row, where it is in the row (through the structs
// the row embeds) and the form field it is read from.
type rowColumn struct {
	index []int
	name  string
	opts  map[string]string
}

func rowColumns(t reflect.Type, at []int) []rowColumn {
	var out []rowColumn
	for j := 0; j < t.NumField(); j++ {
		index := append(append([]int{}, at...), j)
		if t.Field(j).Anonymous && t.Field(j).Type.Kind() == reflect.Struct {
			out = append(out, rowColumns(t.Field(j).Type, index)...)
			continue
		}
		tag, ok := t.Field(j).Tag.Lookup("form")
		if !ok || tag == "-" {
			continue
		}
		name, opts := parseFormTag(tag)
		out = append(out, rowColumn{index: index, name: name, opts: opts})
	}
	return out
}

func (b formSource) prefixed(f reflect.Value, prefix string, opts map[string]string) {
	if f.IsNil() {
		f.Set(reflect.MakeMap(f.Type()))
	}
	b.args().VisitAll(func(k, v []byte) {
		rest, ok := strings.CutPrefix(string(k), prefix)
		if !ok {
			return
		}
		key := reflect.ValueOf(rest)
		if f.Type().Key().Kind() == reflect.Int64 {
			n, err := strconv.ParseInt(rest, 10, 64)
			if err != nil {
				return
			}
			key = reflect.ValueOf(n)
		}
		if !f.MapIndex(key).IsValid() { // the first of repeated values, as FormValue
			value := string(v)
			if _, trim := opts["trim"]; trim {
				value = strings.TrimSpace(value)
			}
			f.SetMapIndex(key, reflect.ValueOf(value))
		}
	})
}

// shownVersion is the version an edit form of a stored record carries when it is shown:
// read, the version it was read at (or posted with, shown again), as err, the refusal of its
// save if any, leaves it (models.FormVersion.TakeCurrentVersion). A form refused because its
// record changed since it was read carries the record's current version, so that saving it
// again is the person's choice, and links to page, where the record is seen as it now is.
func shownVersion(read string, err error, page string) views.RecordVersion {
	v := models.FormVersion{Version: read}
	v.TakeCurrentVersion(err)
	shown := views.RecordVersion{Version: v.Version}
	if models.ChangedSince(err) {
		shown.Current = page
	}
	return shown
}
