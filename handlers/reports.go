package handlers

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/audit"
	"outlay/models"
	"outlay/policy"
	"outlay/sheet"
	"outlay/views"
	"outlay/views/reports"
)

var seeAllSpend = policy.Permission{Object: outlay.ObjSpendReportAll, Action: outlay.ActRead}

// spendReport shows spend of a period as charts and tables, one section per currency.
func (s *Server) spendReport(c *fiber.Ctx) error {
	q, err := s.readSpend(c)
	if err != nil {
		return err
	}
	return s.renderSpend(c, q)
}

// renderSpend shows the report of q, or its filters with a message beside each one refused
// (422), as typed.
func (s *Server) renderSpend(c *fiber.Ctx, q *spendQuery) error {
	p := spendPage(q)
	status := http.StatusOK
	if len(q.errs) > 0 {
		status = http.StatusUnprocessableEntity
	} else if s.can(c, policy.Permission{Object: outlay.ObjSpendReport, Action: outlay.ActExport}) {
		p.ExportURL = reports.SpendExportPath + "?" + q.query(nil).Encode()
	}
	return s.render(c, status, page{Title: "Spend report", Nav: reports.SpendPath, Content: reports.SpendReportPage(p)})
}

// spendExport downloads the spend report's table as CSV, XLSX or JSON Lines: the same rows
// and totals, amounts as plain numbers in their own currency, every cell safe to open in a
// spreadsheet.
func (s *Server) spendExport(c *fiber.Ctx) error {
	format, ok := sheet.ParseFormat(c.Query("format", string(sheet.CSV)))
	if !ok {
		return fiber.NewError(http.StatusBadRequest, "Export as csv, xlsx or jsonl.")
	}
	q, err := s.readSpend(c)
	if err != nil {
		return err
	}
	if len(q.errs) > 0 {
		// An address of the download with a filter refused (a day that is not one, a period
		// that ends before it starts) shows the report's filters as given, each refusal
		// beside its field, rather than an error page.
		if !q.errs.Has("") {
			q.errs[""] = "Nothing was downloaded: correct the filters marked below, then download again."
		}
		return s.renderSpend(c, q)
	}
	stages := q.stages()
	columns := cols("currency", "Currency", "group", groupLabel(q.filter.GroupBy))
	for _, st := range stages {
		columns = append(columns, sheet.Column{Key: st, Title: stageLabel(st)})
	}
	var buf bytes.Buffer
	n, err := writeList(&buf, format, columns, func(emit func(values ...any) error) (int, error) {
		n := 0
		for _, sec := range q.report.Sections {
			for _, r := range append(slices.Clone(sec.Rows), sec.Total) {
				row := []any{sec.Currency, rowLabel(q.filter.GroupBy, r)}
				for _, st := range stages {
					row = append(row, amount(r.Amount(st), sec.Currency))
				}
				if err := emit(row...); err != nil {
					return n, err
				}
				n++
			}
		}
		return n, nil
	})
	if err != nil {
		return err
	}
	details := map[string]any{"list": "spend report", "format": string(format), "rows": n, "filter": q.query(nil).Encode()}
	if err := audit.Event(c.UserContext(), tenantDB(c), "export", "spend report", details); err != nil {
		return err
	}
	name := fmt.Sprintf("spend-by-%s-%s-to-%s.%s", strings.ReplaceAll(q.filter.GroupBy, "_", "-"),
		q.filter.From.Format(time.DateOnly), q.filter.To.Format(time.DateOnly), format.Ext())
	return sendDownload(c, format.ContentType(), name, buf.Bytes())
}

// spendQuery is a spend report request: the filter as typed, what it means, and the report.
type spendQuery struct {
	form   reports.SpendFilter
	errs   views.FieldErrors
	filter models.SpendFilter
	depts  []models.Department
	locs   []models.Location
	ownLoc *models.Location // the viewer's location, whose deliveries are in their scope
	report models.SpendReport
	today  time.Time
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// spendPeriods are the presets: each the span of days it covers around today.
type spendPeriod struct {
	key, label string
	span       func(today time.Time) (from, to time.Time)
}

var spendPeriods = []spendPeriod{
	{"this-month", "This month", func(d time.Time) (time.Time, time.Time) {
		from := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
		return from, from.AddDate(0, 1, -1)
	}},
	{"last-month", "Last month", func(d time.Time) (time.Time, time.Time) {
		from := time.Date(d.Year(), d.Month()-1, 1, 0, 0, 0, 0, time.UTC)
		return from, from.AddDate(0, 1, -1)
	}},
	{"this-quarter", "This quarter", func(d time.Time) (time.Time, time.Time) {
		from := time.Date(d.Year(), d.Month()-(d.Month()-1)%3, 1, 0, 0, 0, 0, time.UTC)
		return from, from.AddDate(0, 3, -1)
	}},
	{"this-year", "This year", func(d time.Time) (time.Time, time.Time) {
		return time.Date(d.Year(), 1, 1, 0, 0, 0, 0, time.UTC), time.Date(d.Year(), 12, 31, 0, 0, 0, 0, time.UTC)
	}},
	{"last-year", "Last year", func(d time.Time) (time.Time, time.Time) {
		return time.Date(d.Year()-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(d.Year()-1, 12, 31, 0, 0, 0, 0, time.UTC)
	}},
}

const defaultSpendPeriod = "this-year"

// maxSpendYears bounds a period, so that one request cannot sum decades day by day.
const maxSpendYears = 10

// readSpend reads the filter from the address, checks every value and, when all are good,
// runs the report. A wrong value is a message beside its field, never an error page.
func (s *Server) readSpend(c *fiber.Ctx) (*spendQuery, error) {
	ctx, db, me := c.UserContext(), tenantDB(c), currentUser(c)
	settings, err := s.orgSettings(c)
	if err != nil {
		return nil, err
	}
	zone := settings.Location()
	now := time.Now().In(zone)
	q := &spendQuery{errs: views.FieldErrors{}, today: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC),
		form: reports.SpendFilter{Period: c.Query("period"), From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to")),
			Group: c.Query("group", models.SpendByDepartment), Stage: c.Query("stage"), Department: c.Query("department"),
			Location: c.Query("location"),
			Currency: strings.ToUpper(strings.TrimSpace(c.Query("currency")))}}
	all := s.can(c, seeAllSpend)
	q.filter = models.SpendFilter{Zone: zone, GroupBy: q.form.Group, Stage: q.form.Stage, Currency: q.form.Currency,
		DefaultCurrency: settings.DefaultCurrency, AllDepartments: all, ViewerID: me.UserID}
	if q.depts, err = models.SpendDepartments(ctx, db, all, me.UserID); err != nil {
		return nil, err
	}
	if q.locs, err = models.SpendLocations(ctx, db, all, me.UserID); err != nil {
		return nil, err
	}
	if !all {
		if q.ownLoc, err = models.SpendLocationOf(ctx, db, me.UserID); err != nil {
			return nil, err
		}
	}
	q.readPeriod()
	if !slices.Contains(models.SpendGroupings, q.form.Group) {
		q.errs["group"] = "Choose a grouping from the list."
	}
	if q.form.Stage != "" && !slices.Contains(models.SpendStages, q.form.Stage) {
		q.errs["stage"] = "Choose a stage from the list."
	}
	if q.form.Currency != "" && !currencyCode.MatchString(q.form.Currency) {
		q.errs["currency"] = "Enter a three-letter currency code, such as USD, or leave it empty for every currency."
	}
	q.filter.DepartmentID = q.chosen("department", q.form.Department, "Choose one of the departments listed.", func(id int64) bool {
		return slices.ContainsFunc(q.depts, func(d models.Department) bool { return d.ID == id })
	})
	q.filter.LocationID = q.chosen("location", q.form.Location, "Choose one of the locations listed.", func(id int64) bool {
		return slices.ContainsFunc(q.locs, func(l models.Location) bool { return l.ID == id })
	})
	if len(q.errs) == 0 {
		if q.report, err = models.SpendReportOf(ctx, db, q.filter); err != nil {
			return nil, err
		}
	}
	return q, nil
}

// chosen reads a choice of the address: nil for none, the id when listed offers it, else nil
// with msg beside field.
func (q *spendQuery) chosen(field, value, msg string, listed func(int64) bool) *int64 {
	if value == "" {
		return nil
	}
	id, _ := strconv.ParseInt(value, 10, 64)
	if !listed(id) {
		q.errs[field] = msg
		return nil
	}
	return &id
}

// readPeriod takes the period from a preset (the days typed, if any, being the preset's), else
// from the days typed (both of them), else this year.
func (q *spendQuery) readPeriod() {
	if q.form.Period == "" && q.form.From == "" && q.form.To == "" {
		q.form.Period = defaultSpendPeriod
	}
	if q.form.Period != "" {
		i := slices.IndexFunc(spendPeriods, func(p spendPeriod) bool { return p.key == q.form.Period })
		if i < 0 && q.form.From == "" && q.form.To == "" {
			q.errs[""] = "There is no such period: choose one of the periods above, or enter the first and last day."
			return
		}
		if i >= 0 {
			from, to := spendPeriods[i].span(q.today)
			if (q.form.From == "" && q.form.To == "") || (q.form.From == from.Format(time.DateOnly) && q.form.To == to.Format(time.DateOnly)) {
				q.filter.From, q.filter.To = from, to
				q.form.From, q.form.To = "", ""
				return
			}
		}
	}
	q.form.Period = ""
	// A date field's picker only ever sends a real day: one that is not comes from an address
	// (a link, a bookmark), so the message quotes it, as the field cannot show it.
	day := func(field, typed, which string) time.Time {
		if typed == "" {
			q.errs[field] = "Enter the " + which + " day of the period."
			return time.Time{}
		}
		d, err := time.Parse(time.DateOnly, typed)
		if err != nil {
			q.errs[field] = fmt.Sprintf("“%s” is not a date: choose the %s day of the period.", shorten(typed, 40), which)
		}
		return d
	}
	q.filter.From = day("from", q.form.From, "first")
	q.filter.To = day("to", q.form.To, "last")
	switch {
	case q.errs.Has("from") || q.errs.Has("to"):
	case q.filter.To.Before(q.filter.From):
		q.errs["to"] = fmt.Sprintf("%s is before the first day, %s: choose a last day on or after it.",
			q.filter.To.Format("2 January 2006"), q.filter.From.Format("2 January 2006"))
	case q.filter.To.After(q.filter.From.AddDate(maxSpendYears, 0, 0)):
		q.errs["to"] = fmt.Sprintf("Choose a period of at most %d years.", maxSpendYears)
	}
}

// query is the address of the report with these filters; extra values replace theirs.
func (q *spendQuery) query(extra url.Values) url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"period": q.form.Period, "from": q.form.From, "to": q.form.To, "group": q.form.Group,
		"stage": q.form.Stage, "department": q.form.Department, "location": q.form.Location, "currency": q.form.Currency} {
		if val != "" {
			v.Set(k, val)
		}
	}
	for k, vals := range extra {
		v.Del(k)
		if len(vals) > 0 && vals[0] != "" {
			v[k] = vals
		}
	}
	return v
}

// stages are the stages shown: the one chosen, or all of them.
func (q *spendQuery) stages() []string {
	if q.filter.Stage != "" {
		return []string{q.filter.Stage}
	}
	return models.SpendStages
}

var spendGroupLabels = map[string]string{
	models.SpendByDepartment: "Department", models.SpendByVendor: "Vendor", models.SpendByGLAccount: "GL account", models.SpendByMonth: "Month",
}

func groupLabel(g string) string { return spendGroupLabels[g] }

func stageLabel(st string) string { return strings.ToUpper(st[:1]) + st[1:] }

// rowLabel names a row: a month reads "March 2026".
func rowLabel(grouping string, r models.SpendRow) string {
	if grouping == models.SpendByMonth && r.Key != "" {
		if m, err := time.Parse("2006-01", r.Key); err == nil {
			return m.Format("January 2006")
		}
	}
	return r.Label
}

// chartGroups is how many groups a chart draws at most; the table lists them all.
const chartGroups = 20

// spendPage lays the report out: presets, filter choices, and per currency a chart and a
// table of the same figures.
func spendPage(q *spendQuery) reports.SpendPage {
	p := reports.SpendPage{Filter: q.form, Errors: q.errs, Title: "Spend by " + strings.ToLower(groupLabel(q.form.Group))}
	if p.Title == "Spend by " {
		p.Title = "Spend report"
	}
	for _, pr := range spendPeriods {
		p.Presets = append(p.Presets, reports.Preset{Label: pr.label, Current: pr.key == q.form.Period,
			Href: reports.SpendPath + "?" + q.query(url.Values{"period": {pr.key}, "from": nil, "to": nil}).Encode()})
	}
	for _, g := range models.SpendGroupings {
		p.Groupings = append(p.Groupings, reports.Option{Value: g, Label: groupLabel(g)})
	}
	for _, st := range models.SpendStages {
		p.Stages = append(p.Stages, reports.Option{Value: st, Label: stageLabel(st)})
	}
	var names []string
	for _, d := range q.depts {
		p.Departments = append(p.Departments, reports.Option{Value: strconv.FormatInt(d.ID, 10), Label: d.Name})
		names = append(names, d.Name)
	}
	for _, l := range q.locs {
		p.Locations = append(p.Locations, reports.Option{Value: strconv.FormatInt(l.ID, 10), Label: l.Name})
	}
	if !q.filter.AllDepartments {
		switch {
		case len(names) == 0 && q.ownLoc == nil:
			p.Scope = "You belong to no department, head none and have no location, so there is no spend of yours to show."
		case q.ownLoc == nil:
			p.Scope = "Only your departments' spend: " + strings.Join(names, ", ") + "."
		case len(names) == 0:
			p.Scope = "Only spend delivered to your location: " + q.ownLoc.Name + "."
		default:
			p.Scope = "Only your departments' spend: " + strings.Join(names, ", ") + "; and spend delivered to your location: " + q.ownLoc.Name + "."
		}
	}
	if len(q.errs) > 0 {
		return p
	}
	p.Period = q.filter.From.Format("2 January 2006") + " – " + q.filter.To.Format("2 January 2006")
	if p.Filter.From == "" {
		// A preset's days fill the fields; the form carries the preset along while they are unchanged.
		p.Filter.From, p.Filter.To = q.filter.From.Format(time.DateOnly), q.filter.To.Format(time.DateOnly)
	}
	var cols []reports.Stage
	for _, st := range q.stages() {
		cols = append(cols, reports.Stage{Label: stageLabel(st), Class: "stage-" + st})
	}
	for _, sec := range q.report.Sections {
		p.Sections = append(p.Sections, spendSection(q, sec, cols))
	}
	return p
}

// spendSection is one currency's chart and table.
func spendSection(q *spendQuery, sec models.SpendSection, cols []reports.Stage) reports.SpendSection {
	stages := q.stages()
	group := groupLabel(q.filter.GroupBy)
	out := reports.SpendSection{ID: "spend-" + strings.ToLower(sec.Currency), Currency: sec.Currency, Group: group, Columns: cols,
		Heading: "In " + sec.Currency}
	if sec.Currency != q.report.DefaultCurrency {
		out.Note = "Kept apart: amounts in " + sec.Currency + " are not converted to " + q.report.DefaultCurrency + " nor added to its totals."
	}
	amounts := func(r models.SpendRow) []string {
		a := make([]string, len(stages))
		for i, st := range stages {
			a[i] = sec.Money(r.Amount(st)).String()
		}
		return a
	}
	for _, r := range sec.Rows {
		out.Rows = append(out.Rows, reports.SpendRow{Label: rowLabel(q.filter.GroupBy, r), Amounts: amounts(r)})
	}
	out.Total = reports.SpendRow{Label: "Total", Amounts: amounts(sec.Total)}
	out.Chart = spendBars(q, sec, stages, cols)
	return out
}

// spendBars draws each group's stages as bars, the largest amount spanning the bar track. A
// chart of many groups shows the largest; months stay in order.
func spendBars(q *spendQuery, sec models.SpendSection, stages []string, cols []reports.Stage) reports.Chart {
	rows := sec.Rows
	largestOf := func(r models.SpendRow) int64 {
		var m int64
		for _, st := range stages {
			m = max(m, r.Amount(st))
		}
		return m
	}
	ch := reports.Chart{Title: "Spend in " + sec.Currency + " by " + strings.ToLower(groupLabel(q.filter.GroupBy))}
	if len(rows) > chartGroups {
		keep := slices.Clone(rows)
		slices.SortStableFunc(keep, func(a, b models.SpendRow) int { return cmpDesc(largestOf(a), largestOf(b)) })
		keep = keep[:chartGroups]
		rows = slices.DeleteFunc(slices.Clone(rows), func(r models.SpendRow) bool {
			return !slices.ContainsFunc(keep, func(k models.SpendRow) bool { return k.Key == r.Key })
		})
		ch.Note = fmt.Sprintf("The chart shows the %d largest of %d; the table lists them all.", chartGroups, len(sec.Rows))
	}
	var largest int64
	for _, r := range rows {
		largest = max(largest, largestOf(r))
	}
	var descs []string
	y := 0
	for _, r := range rows {
		label := rowLabel(q.filter.GroupBy, r)
		g := reports.ChartGroup{Label: shorten(label, 40), Y: y}
		y += reports.ChartLabelH
		var parts []string
		for i, st := range stages {
			amount := sec.Money(r.Amount(st)).String()
			width := 0.0
			if largest > 0 && r.Amount(st) > 0 {
				// At least a sliver, so that a small amount still shows.
				width = max(0.5, float64(r.Amount(st))/float64(largest)*reports.ChartBarMaxPercent)
			}
			g.Bars = append(g.Bars, reports.ChartBar{Class: cols[i].Class, Width: strconv.FormatFloat(width, 'f', 1, 64) + "%", Amount: amount, Y: y})
			y += reports.ChartBarH + reports.ChartBarGap
			parts = append(parts, strings.ToLower(cols[i].Label)+" "+amount)
		}
		y += reports.ChartGroupGap - reports.ChartBarGap
		ch.Groups = append(ch.Groups, g)
		descs = append(descs, label+": "+strings.Join(parts, ", "))
	}
	ch.Desc = strings.Join(descs, "; ") + "."
	ch.Height = max(1, y)
	return ch
}

func cmpDesc(a, b int64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}
