package main

import (
	"bytes"
	"context"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"outlay/audit"
	"outlay/auth"
	"outlay/bankfile"
	"outlay/models"
	"outlay/storage"
	"outlay/tenancy"
)

// personalData is what the source tenant holds about people, read straight from its tables.
type personalData struct{ emails, names, phones []string }

// newPersonalTenant is a deployment of its own (the commands see it through OUTLAY_*) with
// tenant acme seeded by seedPersonalTenant.
func newPersonalTenant(t *testing.T) (controlDSN, blobDir string, source tenancy.Tenant) {
	controlDSN = newControlDSN(t)
	t.Setenv("OUTLAY_DATABASE_URL", controlDSN)
	blobDir = t.TempDir()
	t.Setenv("OUTLAY_BLOB_URL", "file://"+blobDir)
	seedPersonalTenant(t, controlDSN, "file://"+blobDir)
	return controlDSN, blobDir, lookupTenant(t, controlDSN, "acme")
}

// seedPersonalTenant makes tenant acme with the demo's data and personal data in every
// other place the product keeps it: vendor phones and addresses, bank accounts of people,
// the organisation and vendors, comments naming people, sessions, API tokens, two-factor
// secrets, SSO identities and secrets, failed sign-ins, an import file.
func seedPersonalTenant(t *testing.T, controlDSN, blobURL string) {
	t.Helper()
	ctx := context.Background()
	registry, err := tenancy.OpenRegistry(ctx, controlDSN, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer registry.Close()
	blobs, err := storage.Open(ctx, blobURL)
	if err != nil {
		t.Fatal(err)
	}
	defer blobs.Close()
	secret := secretKey(t)
	_, err = registry.Create(ctx, tenancy.CreateTenant{Slug: "acme", Name: "Acme Corporation"}, func(ctx context.Context, tn tenancy.Tenant) error {
		db, closeDB, err := tenancy.OpenOne(ctx, tn, secret)
		if err != nil {
			return err
		}
		defer closeDB()
		if err := seedDemoTenant(ctx, db, blobs, "acme"); err != nil {
			return err
		}
		ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "test"})
		return seedMorePersonalData(ctx, t, db, secret)
	})
	if err != nil {
		t.Fatalf("seed acme: %v", err)
	}
}

func seedMorePersonalData(ctx context.Context, t *testing.T, db *gorm.DB, secret []byte) error {
	bankBox, _ := auth.NewSecretBox(secret, models.BankAccountPurpose)
	vendorBox, _ := auth.NewSecretBox(secret, models.VendorBankSecretPurpose)
	var vendors []models.Vendor
	if err := db.Order("id").Find(&vendors).Error; err != nil {
		return err
	}
	phones := []string{"+1 415 555 0134", "(510) 555-0199", "+44 20 7946 0958", "+49 30 901820", "+1-212-555-0147"}
	for i, v := range vendors {
		// Through the model, so that the audit log records the personal values too.
		if err := db.Model(&models.Vendor{ID: v.ID}).Updates(map[string]any{"phone": phones[i%len(phones)],
			"address": "12 Quay Street\nDublin D02 XY45"}).Error; err != nil {
			return err
		}
	}
	if err := models.SaveVendorBankAccount(ctx, db, vendorBox, vendors[0].ID, models.VendorBankInput{Scheme: models.BankIBAN,
		HolderName: "Nancy Davolio", IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX"}); err != nil {
		return err
	}
	if err := models.SaveVendorBankAccount(ctx, db, vendorBox, vendors[1].ID, models.VendorBankInput{Scheme: models.BankUSACH,
		HolderName: "Kim Abercrombie", RoutingNumber: "011000015", AccountNumber: "123456789012", AccountType: models.AccountChecking}); err != nil {
		return err
	}
	requester, err := models.FindUserByEmail(ctx, db, "requester@acme.example")
	if err != nil {
		return err
	}
	if _, err := models.SetBankAccount(ctx, db, bankBox, requester.ID, models.BankDetailsInput{Holder: "Riley Requester", IBAN: "GB82 WEST 1234 5698 7654 32", BIC: "NWBKGB2L"}); err != nil {
		return err
	}
	if _, err := models.SetOrgBankAccount(ctx, db, bankBox, models.BankDetailsInput{Holder: "Acme Corporation", IBAN: "FR1420041010050500013M02606"}); err != nil {
		return err
	}
	for _, q := range []string{
		`INSERT INTO comments (doc_type, doc_id, author_id, body) SELECT 'requisition', id, requester_id,
			'Riley Requester asked Kim Abercrombie (orders@contoso.example, +1 415 555 0134) to confirm' FROM requisitions LIMIT 1`,
		`INSERT INTO sessions (id_hash, user_id, expires_at, ip, user_agent) SELECT '\x01', id, now() + interval '1 day', '198.18.0.7', 'Firefox' FROM users LIMIT 1`,
		`INSERT INTO api_tokens (user_id, token_hash, name, expires_at) SELECT id, '\x02', 'ci', now() + interval '1 day' FROM users LIMIT 1`,
		`INSERT INTO user_two_factor (user_id, secret_sealed) SELECT id, '\x03' FROM users LIMIT 1`,
		`INSERT INTO login_failures (email, ip, device) VALUES ('stranger@elsewhere.example', '198.18.0.9', 'cookie-1')`,
		`INSERT INTO sso_providers (name, kind, label, issuer, client_id, client_secret_sealed) VALUES ('okta', 'oidc', 'Okta', 'https://acme.okta.example', 'id', '\x04')`,
		`INSERT INTO sso_identities (user_id, provider, subject, email) SELECT id, 'okta', '00u1abcdef', email FROM users LIMIT 1`,
		// A payment run that took a copy of both vendors' bank details, as a submission does.
		`INSERT INTO payment_runs (number, currency, method, due_by, pay_on, status, created_by_id)
			SELECT 'PAY-CLONE', 'EUR', 'wire', current_date, current_date, 'approved', id FROM users ORDER BY id LIMIT 1`,
		`INSERT INTO payment_run_vendors (payment_run_id, vendor_id, scheme, holder_name, bic, routing_number, account_type,
			account_secret, account_masked, bank_updated_at)
			SELECT r.id, b.vendor_id, b.scheme, b.holder_name, b.bic, b.routing_number, b.account_type, b.account_secret, b.account_masked, b.updated_at
			FROM payment_runs r, vendor_bank_accounts b WHERE r.number = 'PAY-CLONE'`,
		`INSERT INTO imports (created_by, kind, filename, file, message) SELECT id, 'users', 'staff-Riley-Requester.csv',
			convert_to('email,name' || chr(10) || 'ana@tailspin.example,Ana Trujillo' || chr(10) || 'zoe.file@onlyinfile.example,Zoe File', 'UTF8'), 'Ana Trujillo (ana@tailspin.example) refused' FROM users LIMIT 1`,
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Logf("seed: %s", q)
			return err
		}
	}
	return nil
}

// readPersonalData reads the source's emails, names and phones the way an auditor would:
// every value of the columns that hold them.
func readPersonalData(t *testing.T, dsn string) personalData {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	read := func(q string) []string {
		rows, err := conn.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		v, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	return personalData{
		emails: read(`SELECT email FROM users UNION SELECT email FROM vendors WHERE email <> '' UNION SELECT email FROM login_failures
			UNION SELECT (regexp_matches(convert_from(file, 'UTF8'), '[a-z.]+@[a-z.]+', 'g'))[1] FROM imports`),
		names: read(`SELECT name FROM users WHERE name LIKE '% %' UNION SELECT contact_name FROM vendors WHERE contact_name <> ''
			UNION SELECT account_holder FROM user_bank_accounts UNION SELECT holder_name FROM vendor_bank_accounts`),
		phones: read(`SELECT phone FROM vendors WHERE phone <> ''`),
	}
}

// searchClone dumps the whole copy as SQL text (every row of every table) and reads every
// file under its prefix, and reports each original value found.
func searchClone(t *testing.T, dsn, blobDir, slug string, pd personalData) []string {
	t.Helper()
	dump, err := exec.Command("pg_dump", "--data-only", "--dbname="+dsn).Output()
	if err != nil {
		t.Fatalf("pg_dump of the copy: %v", err)
	}
	haystacks := map[string][]byte{"database": bytes.ToLower(dump)}
	files, _ := filepath.Glob(filepath.Join(blobDir, slug, "*"))
	if len(files) == 0 {
		t.Fatalf("no files under %s/%s", blobDir, slug)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		haystacks[filepath.Base(f)] = bytes.ToLower(b)
	}
	var found []string
	for where, h := range haystacks {
		for _, v := range append(append(append([]string{}, pd.emails...), pd.names...), pd.phones...) {
			if bytes.Contains(h, []byte(strings.ToLower(v))) {
				found = append(found, v+" in "+where)
			}
		}
	}
	return found
}

// A sanitized copy keeps no original email, name or phone in any table or file; its fakes
// are the same in a second copy (made by dump and restore while the source is in use);
// nobody signs in with an old password; bank accounts are valid fakes; attachments are
// placeholders of their type; and its audit log verifies under its own key.
func TestCloneSanitized(t *testing.T) {
	controlDSN, blobDir, source := newPersonalTenant(t)
	pd := readPersonalData(t, source.DSN)
	if len(pd.emails) < 10 || len(pd.names) < 8 || len(pd.phones) < 3 {
		t.Fatalf("the source holds too little to test with: %+v", pd)
	}
	// The search below finds what it looks for: the source itself is full of it.
	if found := searchClone(t, source.DSN, blobDir, "acme", pd); len(found) < len(pd.emails) {
		t.Fatalf("the search finds only %d values in the source", len(found))
	}

	began := time.Now()
	code, out, errs := runCmd(t, "tenant", "clone-sanitized", "acme", "--as", "stage1")
	t.Logf("copy by template took %v", time.Since(began).Round(time.Millisecond))
	if code != 0 {
		t.Fatalf("clone-sanitized exited %d:\n%s\n%s", code, out, errs)
	}
	t.Log(out)
	stage1 := lookupTenant(t, controlDSN, "stage1")
	if found := searchClone(t, stage1.DSN, blobDir, "stage1", pd); len(found) > 0 {
		t.Errorf("the copy still holds: %s", strings.Join(found, "; "))
	}

	// A second copy, made while someone is connected to the source.
	busy, err := pgx.Connect(context.Background(), source.DSN)
	if err != nil {
		t.Fatal(err)
	}
	began = time.Now()
	code, out, errs = runCmd(t, "tenant", "clone-sanitized", "acme", "--as", "stage2")
	t.Logf("copy by dump and restore took %v", time.Since(began).Round(time.Millisecond))
	busy.Close(context.Background())
	if code != 0 || !strings.Contains(out, "pg_dump") {
		t.Fatalf("clone-sanitized of a busy tenant exited %d:\n%s\n%s", code, out, errs)
	}
	stage2 := lookupTenant(t, controlDSN, "stage2")
	if found := searchClone(t, stage2.DSN, blobDir, "stage2", pd); len(found) > 0 {
		t.Errorf("the second copy still holds: %s", strings.Join(found, "; "))
	}
	q := `SELECT string_agg(concat_ws('|', u.id, u.email, u.name), ',' ORDER BY u.id) || (SELECT string_agg(concat_ws('|', id, name, contact_name, email, phone, address, tax_id), ',' ORDER BY id) FROM vendors)
		|| (SELECT string_agg(body, ',' ORDER BY id) FROM comments) FROM users u`
	one, two := queryString(t, stage1.DSN, q), queryString(t, stage2.DSN, q)
	if one != two {
		t.Errorf("two copies have different fakes:\n%s\n%s", one, two)
	}
	if orig := queryString(t, source.DSN, q); orig == one {
		t.Error("the copy has the source's values")
	}

	secret := secretKey(t)
	for _, tn := range []tenancy.Tenant{stage1, stage2} {
		if code, out, errs := runCmd(t, "audit", "verify", tn.Slug, "--head"); code != 0 {
			t.Errorf("audit verify %s exited %d:\n%s\n%s", tn.Slug, code, out, errs)
		}
	}
	db, closeDB, err := tenancy.OpenOne(context.Background(), stage1, secret)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB()
	ctx := context.Background()
	var fakeRequester string
	db.Raw(`SELECT email FROM users WHERE id = (SELECT id FROM users ORDER BY id LIMIT 1)`).Scan(&fakeRequester)
	for _, email := range []string{"requester@acme.example", fakeRequester} {
		if _, err := models.Authenticate(ctx, db, email, DemoPassword); err == nil {
			t.Errorf("%s signs in to the copy with the source's password", email)
		}
	}
	for _, table := range []string{"sessions", "api_tokens", "user_two_factor", "login_failures", "mail_outbox", "password_resets"} {
		var n int64
		db.Raw("SELECT count(*) FROM " + table).Scan(&n)
		if n != 0 {
			t.Errorf("the copy keeps %d rows of %s", n, table)
		}
	}
	var secrets int64
	db.Raw(`SELECT count(*) FROM sso_providers WHERE enabled OR client_secret_sealed = '\x04'`).Scan(&secrets)
	if secrets != 0 {
		t.Error("the copy keeps SSO client secrets or providers switched on")
	}

	bankBox, _ := auth.NewSecretBox(secret, models.BankAccountPurpose)
	var uid int64
	db.Raw(`SELECT user_id FROM user_bank_accounts LIMIT 1`).Scan(&uid)
	acct, err := models.GetBankAccount(ctx, db, bankBox, uid)
	if err != nil || acct == nil {
		t.Fatalf("the copy's bank account does not open: %v", err)
	}
	if _, err := bankfile.ParseIBAN(string(acct.IBAN)); err != nil || acct.IBAN == "GB82WEST12345698765432" || acct.IBAN.Country() != "GB" {
		t.Errorf("the copy's IBAN %s is not a valid fake GB IBAN: %v", acct.IBAN, err)
	}

	// The bank accounts a payment run copied from vendors are faked as the vendors' own are:
	// the same fake, sealed for the same vendor, in the same holder's (fake) name.
	vendorBox, _ := auth.NewSecretBox(secret, models.VendorBankSecretPurpose)
	var rows []struct {
		VendorID                int64
		CopySecret, OwnSecret   []byte
		CopyMasked, OwnMasked   string
		CopyHolder, OwnHolder   string
		CopyRouting, OwnRouting string
	}
	db.Raw(`SELECT c.vendor_id, c.account_secret AS copy_secret, b.account_secret AS own_secret, c.account_masked AS copy_masked,
		b.account_masked AS own_masked, c.holder_name AS copy_holder, b.holder_name AS own_holder, c.routing_number AS copy_routing,
		b.routing_number AS own_routing FROM payment_run_vendors c JOIN vendor_bank_accounts b ON b.vendor_id = c.vendor_id`).Scan(&rows)
	if len(rows) != 2 {
		t.Fatalf("the copy has %d bank accounts copied onto payment runs, want 2", len(rows))
	}
	for _, r := range rows {
		copied, err := (&models.VendorBankAccount{VendorID: r.VendorID, AccountSecret: r.CopySecret}).Account(vendorBox)
		own, err2 := (&models.VendorBankAccount{VendorID: r.VendorID, AccountSecret: r.OwnSecret}).Account(vendorBox)
		if err != nil || err2 != nil || copied != own || copied == "DE89370400440532013000" || copied == "123456789012" ||
			r.CopyMasked != r.OwnMasked || r.CopyHolder != r.OwnHolder || r.CopyRouting != r.OwnRouting {
			t.Errorf("vendor %d's account copied onto a run: %q (%v) masked %q, holder %q, routing %q; the vendor's own: %q (%v) masked %q, holder %q, routing %q",
				r.VendorID, copied, err, r.CopyMasked, r.CopyHolder, r.CopyRouting, own, err2, r.OwnMasked, r.OwnHolder, r.OwnRouting)
		}
	}

	// Attachments are placeholders that open as their type.
	var atts []struct {
		ContentType, StorageKey string
	}
	db.Raw(`SELECT content_type, storage_key FROM attachments`).Scan(&atts)
	if len(atts) == 0 {
		t.Fatal("the copy has no attachments to check")
	}
	blobs, err := storage.Open(ctx, "file://"+blobDir)
	if err != nil {
		t.Fatal(err)
	}
	defer blobs.Close()
	for _, a := range atts {
		if !strings.HasPrefix(a.StorageKey, "stage1/") {
			t.Errorf("attachment %s is not under the copy's prefix", a.StorageKey)
			continue
		}
		r, err := blobs.Open(ctx, a.StorageKey)
		if err != nil {
			t.Fatalf("attachment %s: %v", a.StorageKey, err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		switch {
		case strings.HasPrefix(a.ContentType, "image/") && a.ContentType != "image/webp":
			if _, format, err := image.Decode(bytes.NewReader(b)); err != nil || "image/"+format != a.ContentType {
				t.Errorf("attachment %s (%s) does not decode as its type: %s, %v", a.StorageKey, a.ContentType, format, err)
			}
		case a.ContentType == "application/pdf":
			if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("%%EOF")) {
				t.Errorf("attachment %s is not a PDF", a.StorageKey)
			}
		}
	}
}

// A copy in which an original email is left (here in a column the clone keeps as it is) is
// refused and leaves nothing behind.
func TestCloneSanitizedRefusesLeftovers(t *testing.T) {
	controlDSN, blobDir, source := newPersonalTenant(t)
	conn, err := pgx.Connect(context.Background(), source.DSN)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(context.Background(), `UPDATE roles SET label = 'Ask avery Approver' || ' ' || (SELECT email FROM users ORDER BY id LIMIT 1) WHERE name = 'auditor'`)
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "tenant", "clone-sanitized", "acme", "--as", "leaky")
	if code == 0 || !strings.Contains(errs, "an original email in roles.label") {
		t.Fatalf("clone-sanitized exited %d; want a refusal naming roles.label:\n%s\n%s", code, out, errs)
	}
	if strings.Contains(errs, "@acme.example") {
		t.Errorf("the refusal prints the personal value: %s", errs)
	}
	registry, err := tenancy.OpenRegistry(context.Background(), controlDSN, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer registry.Close()
	if _, ok := registry.Lookup("leaky"); ok {
		t.Error("the refused copy is registered")
	}
	var dbs int
	admin, err := pgx.Connect(context.Background(), controlDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	admin.QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname LIKE '%\_leaky'`).Scan(&dbs)
	if dbs != 0 {
		t.Error("the refused copy's database is left")
	}
	if files, _ := filepath.Glob(filepath.Join(blobDir, "leaky", "*")); len(files) > 0 {
		t.Errorf("the refused copy's files are left: %v", files)
	}
}

func queryString(t *testing.T, dsn, q string) string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var s string
	if err := conn.QueryRow(context.Background(), q).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// A copy named after a tenant that exists (the source itself, by a slip) is refused before
// anything is made, and that tenant keeps every file: the refusal once deleted them all.
func TestCloneSanitizedOntoAnExistingTenantKeepsItsFiles(t *testing.T) {
	_, blobDir, _ := newPersonalTenant(t)
	before, _ := filepath.Glob(filepath.Join(blobDir, "acme", "*"))
	if len(before) == 0 {
		t.Fatal("the source has no files to keep")
	}
	code, out, errs := runCmd(t, "tenant", "clone-sanitized", "acme", "--as", "acme")
	if code == 0 || !strings.Contains(errs, `tenant "acme" already exists; nothing was changed`) {
		t.Fatalf("clone-sanitized onto itself exited %d:\n%s\n%s", code, out, errs)
	}
	if strings.Contains(errs, "could not remove") {
		t.Errorf("the refusal tried to remove files: %s", errs)
	}
	if after, _ := filepath.Glob(filepath.Join(blobDir, "acme", "*")); len(after) != len(before) {
		t.Errorf("acme had %d files and has %d after the refused copy", len(before), len(after))
	}
	if code, _, errs := runCmd(t, "tenant", "clone-sanitized", "acme", "--as", "Bad Slug"); code == 0 || strings.Contains(errs, "could not remove") || !strings.Contains(errs, "--as") {
		t.Errorf("a malformed slug: exit %d: %s", code, errs)
	}
}
