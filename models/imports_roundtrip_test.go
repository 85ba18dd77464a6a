package models_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/models"
	"outlay/sheet"
)

// setupFiles is a tenant's setup data as import files, in an order that imports: GL accounts
// and locations first, departments before the people in them (a head must be an active
// person: the admin).
var setupFiles = []struct{ kind, text string }{
	{"gl-accounts", "code,name\n6100,Software\n6400,\"Meals, travel\"\n7000,Büromaterial\n"},
	{"locations", "name,address\nBerlin office,\"Unter den Linden 1\nBerlin\"\nRemote,\n"},
	{"departments", "name,code,default_gl_account\nEngineering,ENG,6100\nFinance,,\n"},
	{"users", "email,name,roles,department,manager,location\ngrace@acme.example,Grace Hopper,\"approver, requester\",Engineering,,Berlin office\n" +
		"linus@acme.example,Linus T,requester,ENG,grace@acme.example,\n"},
	{"departments", "name,head\nEngineering,admin@acme.example\n"},
	{"vendors", "name,contact_name,email,phone,tax_id,payment_terms,currency,status,address\n" +
		"Acme Supplies,Jo,orders@acme.example,+44 20 7946 0000,GB123,30,GBP,on_hold,1 Main St\n=Formula Ltd,,,,,0,USD,active,\n"},
	{"budgets", "department,gl_account,period_start,period_end,amount,currency\nEngineering,6100,2026-01-01,2026-12-31,\"50,000.00\",USD\nFinance,7000,2026-01-01,2026-06-30,1200,EUR\n"},
	{"expense-categories", "name,gl_account,limit,limit_per,currency\nMeals,6400,75.50,day,USD\nSoftware,6100,,,USD\n"},
	{"approval-rules", "doc_type,name,priority,department,gl_account,currency,min_amount,max_amount,budget_check,active,steps\n" +
		"requisition,Engineering over 10k,10,Engineering,,USD,10000,,warn,yes,manager; role:admin\n" +
		"expense,Meals,20,,6400,USD,,500,none,no,user:grace@acme.example\n"},
}

// records reads every kind's records as files hold them, ids left out, in key order.
func allRecords(t *testing.T, db *gorm.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, k := range models.ImportKinds() {
		recs, err := models.ImportRecords(context.Background(), db, k)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			var cells []string
			for _, c := range k.Columns {
				cells = append(cells, c.Name+"="+r.Values[c.Name])
			}
			out[k.Name] = append(out[k.Name], strings.Join(cells, "|"))
		}
		slices.Sort(out[k.Name])
	}
	return out
}

// Setup data written out as import files (CSV for some kinds, XLSX for the others) and
// imported into a fresh tenant comes out the same, kind by kind; importing the same files
// again changes nothing.
func TestImportRoundTripOfSetupData(t *testing.T) {
	t.Parallel()
	ctx, db, env := importAdmin(t)
	for _, f := range setupFiles {
		if res, err := importText(t, ctx, db, f.kind, f.text, false); err != nil {
			t.Fatalf("set up %s: %v %+v", f.kind, err, res)
		}
	}
	want := allRecords(t, db)
	if len(want["users"]) != 3 || len(want["approval-rules"]) != 2 || len(want["budgets"]) != 2 {
		t.Fatalf("set-up data: %v", want)
	}

	// Write every kind's records out.
	files := map[string][]byte{}
	for i, k := range models.ImportKinds() {
		recs, err := models.ImportRecords(context.Background(), db, k)
		if err != nil {
			t.Fatal(err)
		}
		rows := make([]models.ImportValues, len(recs))
		for j, r := range recs {
			rows[j] = r.Values
		}
		format := []sheet.Format{sheet.CSV, sheet.XLSX}[i%2]
		var b bytes.Buffer
		if err := models.WriteImportFile(&b, format, k, rows); err != nil {
			t.Fatal(err)
		}
		files[k.Name+"."+string(format)] = b.Bytes()
	}

	// A fresh tenant with its own admin imports them.
	globex := env.NewTenant(t, "globex", "Globex")
	gdb := env.DB(t, globex)
	gadmin := env.CreateUser(t, globex, "admin@acme.example", "Ada Admin", "admin")
	gctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorUser, ID: gadmin.ID, Label: gadmin.Email})
	order := []string{"gl-accounts", "locations", "departments", "users", "vendors", "budgets", "expense-categories", "approval-rules"}
	importFile := func(kind string) *models.ImportResult {
		for name, data := range files {
			if strings.HasPrefix(name, kind+".") {
				k, _ := models.FindImportKind(kind)
				tbl, err := sheet.Read(bytes.NewReader(data), name, sheet.DefaultLimits)
				if err != nil {
					t.Fatalf("read %s: %v", name, err)
				}
				res, err := models.RunImport(gctx, gdb, k, tbl.Rows, tbl.Lines, k.DetectPlan(tbl.Rows), models.ImportOptions{Grantor: models.ByPerson(gadmin.ID)})
				if err != nil {
					t.Fatalf("import %s: %v %+v", name, err, res.Sample)
				}
				return res
			}
		}
		t.Fatalf("no file for %s", kind)
		return nil
	}
	for _, kind := range order {
		importFile(kind)
	}
	got := allRecords(t, gdb)
	for _, k := range models.ImportKinds() {
		if !slices.Equal(got[k.Name], want[k.Name]) {
			t.Errorf("%s after the round trip:\n got %q\nwant %q", k.Name, got[k.Name], want[k.Name])
		}
	}
	// The same files again: nothing changes.
	for _, kind := range order[3:] {
		if res := importFile(kind); res.Created != 0 || res.Updated != 0 {
			t.Errorf("%s imported again: %d created, %d updated", kind, res.Created, res.Updated)
		}
	}
}
