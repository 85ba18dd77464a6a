package handlers_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"outlay/internal/testutil"
	"outlay/models"
)

// budgetsToImport signs an admin in to an organisation with a Marketing department and GL
// accounts 6000 to 6300, for budgets to be imported into.
func budgetsToImport(t *testing.T) (*testutil.Client, func(gl string) []models.Budget) {
	_, c, env := importAsAdmin(t)
	acme, _ := env.Registry.Lookup("acme")
	db := env.DB(t, acme)
	dept := models.Department{Name: "Marketing"}
	must(t, db.Create(&dept).Error)
	ids := map[string]int64{}
	for _, code := range []string{"6000", "6100", "6200", "6300"} {
		gl := models.GLAccount{Code: code, Name: "Account " + code}
		must(t, db.Create(&gl).Error)
		ids[code] = gl.ID
	}
	return c, func(gl string) []models.Budget {
		var bs []models.Budget
		must(t, db.Where("gl_account_id = ?", ids[gl]).Order("id").Find(&bs).Error)
		return bs
	}
}

// A CSV file saved by a European spreadsheet (semicolons, Windows-1252, decimal commas, the
// day first) imports as it is, and the check page says how its amounts and dates were read.
// Before, every amount was refused ("Enter a number like 1,234.50") and every date ("Enter a
// date like 2026-01-31").
func TestImportReadsEuropeanAmountsAndDates(t *testing.T) {
	t.Parallel()
	c, budgets := budgetsToImport(t)
	file := []byte("Department;GL account (code);Period start;Period end;Amount;Currency\r\n" +
		"Marketing;6000;01/04/2030;31/03/2031;1234,50;EUR\r\n" +
		"Marketing;6100;01.04.2030;31.03.2031;1.234,50 \x80;EUR\r\n" +
		"Marketing;6200;1 Apr 2030;March 31, 2031;12;EUR\r\n")
	res := uploadImport(c, "budgets", "budgets.csv", file)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", res.Status, res.Text(".field-error"))
	}
	page := c.Get(res.Location())
	info := page.Text(".page-header p")
	for _, want := range []string{"semicolon-separated", "Amount with a decimal comma (1.234,50)", "Period start day first", "Period end day first"} {
		if !strings.Contains(info, want) {
			t.Errorf("the check page says %q; want it to say %q", info, want)
		}
	}
	if refused := page.Text("#commit-refused, #mapping-error, .field-error"); refused != "" {
		t.Fatalf("refused: %q", refused)
	}
	c.Post(res.Location()+"/commit", url.Values{})
	if got := importResult(c.Get(res.Location())); got != "Rows 3, Created 3, Updated 0, Unchanged 0" {
		t.Fatalf("result %q", got)
	}
	for gl, want := range map[string]int64{"6000": 123450, "6100": 123450, "6200": 1200} {
		b := budgets(gl)
		if len(b) != 1 || b[0].AmountMinor != want || b[0].PeriodStart.Format(time.DateOnly) != "2030-04-01" || b[0].PeriodEnd.Format(time.DateOnly) != "2031-03-31" {
			t.Errorf("%s: %+v; want %d from 2030-04-01 to 2031-03-31", gl, b, want)
		}
	}
}

// A US file's dates, the month first, import too; a column that does not say which way round
// its dates or amounts are is refused beside them, with how to write them, and nothing of the
// file is written. A spreadsheet's date serial in a CSV file is refused for what it is.
func TestImportRefusesAmbiguousAmountsAndDates(t *testing.T) {
	t.Parallel()
	c, budgets := budgetsToImport(t)
	res := uploadImport(c, "budgets", "us.csv", []byte("Department,GL account (code),Period start,Period end,Amount,Currency\n"+
		"Marketing,6000,1/1/2030,12/31/2030,\"1,234.50\",USD\n"))
	page := c.Get(res.Location())
	if info := page.Text(".page-header p"); !strings.Contains(info, "Period end month first (12/31/2027)") {
		t.Errorf("the check page says %q; want the month first named", info)
	}
	if refused := page.Text(".field-error"); refused != "" {
		t.Fatalf("refused: %q", refused)
	}
	for _, k := range []struct{ name, rows, want string }{
		{"dates either way", "Marketing,6100,03/04/2030,05/06/2030,10,USD\n", "may have the day first or the month first"},
		{"dates both ways", "Marketing,6100,2030-01-01,31/12/2030,10,USD\nMarketing,6200,2030-01-01,12/31/2030,10,USD\n", "Some dates in this column have the day first"},
		{"a point alone", "Marketing,6100,2030-01-01,2030-12-31,1.234,USD\n", "may be read two ways, as 1234 with a point between the thousands or as 1.234 with a decimal point"},
		{"a serial", "Marketing,6100,46388,2030-12-31,10,USD\n", "looks like a spreadsheet serial number"},
	} {
		// The first row is good: it is not written either.
		file := "Department,GL account (code),Period start,Period end,Amount,Currency\nMarketing,6300,2030-01-01,2030-12-31,10,USD\n" + k.rows
		res := uploadImport(c, "budgets", "b.csv", []byte(file))
		page := c.Get(res.Location())
		if refused := page.Text(".field-error"); !strings.Contains(refused, k.want) {
			t.Errorf("%s: refused %q; want %q", k.name, refused, k.want)
		}
		c.Post(res.Location()+"/commit", url.Values{})
		if n := len(budgets("6300")) + len(budgets("6100")) + len(budgets("6200")); n != 0 {
			t.Errorf("%s: %d budgets written by a refused file", k.name, n)
		}
	}
}

// A date typed into a workbook reads as that date whatever its cell's format: a custom
// day-first format (dd/mm/yyyy), a long date, or a date and time of midnight. Before, a
// custom format read as 01/01/2028 and a date and time as "2028-01-01 00:00", both refused.
func TestImportReadsDatesOfAnyWorkbookFormat(t *testing.T) {
	t.Parallel()
	c, budgets := budgetsToImport(t)
	f := excelize.NewFile()
	defer f.Close()
	dmy := "dd/mm/yyyy"
	styles := []*excelize.Style{{CustomNumFmt: &dmy}, {NumFmt: 22}, {NumFmt: 15}, {NumFmt: 14}}
	must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Department", "GL account (code)", "Period start", "Period end", "Amount", "Currency"}))
	start, end := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 12, 31, 0, 0, 0, 0, time.UTC)
	for i, st := range styles {
		row := int64(i + 2)
		must(t, f.SetSheetRow("Sheet1", "A"+itoa(row), &[]any{"Marketing", 6000 + 100*i, start, end, 1234.5, "USD"}))
		id, err := f.NewStyle(st)
		must(t, err)
		must(t, f.SetCellStyle("Sheet1", "C"+itoa(row), "D"+itoa(row), id))
	}
	var buf bytes.Buffer
	must(t, f.Write(&buf))
	res := uploadImport(c, "budgets", "typed.xlsx", buf.Bytes())
	if res.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", res.Status, res.Text(".field-error"))
	}
	page := c.Get(res.Location())
	if refused := page.Text("#commit-refused, #mapping-error, .field-error"); refused != "" {
		t.Fatalf("refused: %q", refused)
	}
	c.Post(res.Location()+"/commit", url.Values{})
	for i := range styles {
		gl := itoa(int64(6000 + 100*i))
		b := budgets(gl)
		if len(b) != 1 || b[0].PeriodStart.Format(time.DateOnly) != "2028-01-01" || b[0].PeriodEnd.Format(time.DateOnly) != "2028-12-31" {
			t.Errorf("%s: %+v; want a budget from 2028-01-01 to 2028-12-31", gl, b)
		}
	}
}
