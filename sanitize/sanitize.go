// Package sanitize turns a copy of a tenant's database into a staging copy without personal
// data: names, emails, phones, addresses, tax and bank ids and free text are replaced by
// deterministic fakes, attachments by placeholder files of the same type, secrets and sessions
// are dropped, and the audit log is re-chained under the copy's own key. It then searches the
// whole copy, every text column and file, for every original email, name and phone.
package sanitize

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay/audit"
	"outlay/auth"
	"outlay/bankfile"
	"outlay/models"
	"outlay/storage"
)

// Report says what a clone replaced and searched.
type Report struct {
	Replaced     map[string]int // values replaced per table.column
	Dropped      map[string]int64
	Attachments  int
	AuditRows    int
	Originals    Originals
	SearchedCols int
	SearchedBlob int
}

// Originals are the personal values of the source that the finished copy must not contain.
type Originals struct {
	Emails, Names, Phones []string
	// SingleNames are names of one word (often an email's local part, such as "admin"),
	// which also name roles and things: they are replaced where they stand as names but not
	// searched for in other text.
	SingleNames int
}

// Column is a text, JSON, array or binary column of a table.
type Column struct{ Table, Name, Type string }

// Columns lists the columns of the database that can hold text.
func Columns(ctx context.Context, conn *pgx.Conn) ([]Column, error) {
	rows, err := conn.Query(ctx, textColumnsQuery)
	if err != nil {
		return nil, fmt.Errorf("list columns: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Column, error) {
		var c Column
		err := r.Scan(&c.Table, &c.Name, &c.Type)
		return c, err
	})
}

// Unclassified returns the columns the clone does not know what to do with.
func Unclassified(cols []Column) []string {
	var out []string
	for _, c := range cols {
		if _, ok := columns[c.Table+"."+c.Name]; !ok {
			out = append(out, c.Table+"."+c.Name+" ("+c.Type+")")
		}
	}
	return out
}

// Options are what Sanitize needs besides the copy's connection.
type Options struct {
	SourceSlug string // the tenant copied: it keys the fakes
	NewSlug    string // the copy: its attachments go under its prefix
	Secret     []byte // OUTLAY_SECRET_KEY: keys the fakes and opens sealed bank accounts
	Blobs      *storage.Store
}

// Connect opens a connection to the copy that carries the copy's audit key, so that the
// re-chained log is keyed for its new slug.
func Connect(ctx context.Context, dsn string, secret []byte, slug string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	params, err := audit.ConnectionParameters(secret, slug)
	if err != nil {
		return nil, err
	}
	for k, v := range params {
		cfg.RuntimeParams[k] = v
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// Sanitize rewrites the copy behind conn in one transaction, then searches it. It returns an
// error, and the copy must be dropped, when a column is not classified, when anything fails,
// or when an original email, name or phone is still found anywhere.
func Sanitize(ctx context.Context, conn *pgx.Conn, o Options) (*Report, error) {
	cols, err := Columns(ctx, conn)
	if err != nil {
		return nil, err
	}
	if bad := Unclassified(cols); len(bad) > 0 {
		return nil, fmt.Errorf("these columns are not classified, so the clone cannot tell whether they hold personal data "+
			"(add them to sanitize/columns.go): %s", strings.Join(bad, ", "))
	}
	f, err := NewFaker(o.Secret, o.SourceSlug)
	if err != nil {
		return nil, err
	}
	s := &run{conn: conn, o: o, f: f, cols: cols, rep: &Report{Replaced: map[string]int{}, Dropped: map[string]int64{}},
		masked: map[string]string{}}
	if err := s.collect(ctx); err != nil {
		return nil, err
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		s.tx = tx
		for _, step := range []func(context.Context) error{s.drop, s.columns, s.attachments, s.imports, s.bankAccounts, s.vendorAccounts, s.ssoSecrets, s.auditLog} {
			if err := step(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	findings, err := Search(ctx, conn, o.Blobs, o.NewSlug, s.rep.Originals, s.rep)
	if err != nil {
		return nil, err
	}
	if len(findings) > 0 {
		return s.rep, fmt.Errorf("personal data is left in the copy: %s", strings.Join(findings, "; "))
	}
	return s.rep, nil
}

type run struct {
	conn *pgx.Conn
	tx   pgx.Tx
	o    Options
	f    *Faker
	cols []Column
	rep  *Report
	// replacer swaps known personal values inside business text for their fakes.
	replacer *regexp.Regexp
	fakeOf   map[string]string
	// masked holds the new masked account of each row of vendor_bank_accounts and
	// payment_run_vendors, keyed by table and record id ("vendor_bank_accounts:12"), for the
	// audit log's copies.
	masked map[string]string
}

// collect reads the personal values of the source: every value of a name, email or phone
// column, and every email address written anywhere, and prepares the replacer.
func (s *run) collect(ctx context.Context) error {
	emails, names, phones, companies := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, c := range s.cols {
		r := columns[c.Table+"."+c.Name]
		val := ident(c.Name) + "::text"
		if c.Type == "bytea" {
			// Files kept in the database (an import's spreadsheet): their bytes read as text.
			val = "encode(" + ident(c.Name) + ", 'escape')"
		}
		q := fmt.Sprintf("SELECT DISTINCT %s FROM %s WHERE %s IS NOT NULL", val, ident(c.Table), ident(c.Name))
		switch r {
		case name, email, phone, company:
		default:
			// Any other column contributes the email addresses written in it.
			q += " AND " + val + " LIKE '%@%'"
		}
		rows, err := s.conn.Query(ctx, q)
		if err != nil {
			return fmt.Errorf("read %s.%s: %w", c.Table, c.Name, err)
		}
		vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("read %s.%s: %w", c.Table, c.Name, err)
		}
		for _, v := range vals {
			switch r {
			case name:
				names[norm(v)] = true
			case phone:
				phones[strings.TrimSpace(v)] = true
			case company:
				companies[norm(v)] = true
			}
			for _, e := range emailPattern.FindAllString(v, -1) {
				emails[strings.ToLower(e)] = true
			}
		}
	}
	delete(names, "")
	delete(phones, "")
	delete(companies, "")
	o := &s.rep.Originals
	for n := range names {
		if isFullName(n) {
			o.Names = append(o.Names, n)
		} else {
			o.SingleNames++
		}
	}
	o.Emails = sortedKeys(emails)
	o.Phones = sortedKeys(phones)
	sort.Strings(o.Names)
	s.f.Avoid(o.Emails...)
	s.f.Avoid(sortedKeys(names)...)
	s.f.Avoid(o.Phones...)
	s.f.Avoid(sortedKeys(companies)...)

	// The replacer: longest first, so that a name inside an email is not replaced first.
	s.fakeOf = map[string]string{}
	var alts []string
	add := func(orig, fake string) {
		s.fakeOf[strings.ToLower(orig)] = fake
		alts = append(alts, regexp.QuoteMeta(orig))
	}
	for _, n := range o.Names {
		add(n, s.f.Name(n))
	}
	for c := range companies {
		if len(c) >= 4 {
			add(c, s.f.Company(c))
		}
	}
	for _, p := range o.Phones {
		add(p, s.f.Phone(p))
	}
	sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	alts = append(alts, emailPattern.String()[len("(?i)"):])
	s.replacer = regexp.MustCompile(`(?i)` + strings.Join(alts, "|"))
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// scrub replaces the known personal values and every email address inside text.
func (s *run) scrub(v string) string {
	return s.replacer.ReplaceAllStringFunc(v, func(m string) string {
		if fake, ok := s.fakeOf[strings.ToLower(m)]; ok {
			return fake
		}
		if emailPattern.MatchString(m) {
			return s.f.Email(m)
		}
		return m
	})
}

// apply gives the replacement of a value under a rule.
func (s *run) apply(r rule, v string) string {
	switch r {
	case scrub:
		return s.scrub(v)
	case text:
		return s.f.Text(v)
	case name:
		return s.f.Name(v)
	case company:
		return s.f.Company(v)
	case email:
		return s.f.Email(v)
	case phone:
		return s.f.Phone(v)
	case address:
		return s.f.Address(v)
	case place:
		return s.f.Place(v)
	case shape:
		return s.f.Shape("id", v)
	case bic:
		return s.f.BIC(v)
	case routing:
		return s.f.RoutingNumber(v)
	case token:
		return s.f.Token(v)
	case fileName:
		return s.f.FileName(v)
	}
	return v
}

func (s *run) drop(ctx context.Context) error {
	present := map[string]bool{}
	for _, c := range s.cols {
		present[c.Table] = true
	}
	for _, t := range slices.Sorted(maps.Keys(droppedTables)) {
		if !present[t] {
			continue
		}
		tag, err := s.tx.Exec(ctx, "DELETE FROM "+ident(t))
		if err != nil {
			return fmt.Errorf("empty %s: %w", t, err)
		}
		s.rep.Dropped[t] = tag.RowsAffected()
	}
	return nil
}

// columns replaces the values of every column whose rule is not keep or special, table by
// table, row by row (a row is found again by its ctid, which does not change before the
// transaction updates it).
func (s *run) columns(ctx context.Context) error {
	byTable := map[string][]Column{}
	var order []string
	for _, c := range s.cols {
		r := columns[c.Table+"."+c.Name]
		if r == keep || r == special || droppedTables[c.Table] != "" {
			continue
		}
		if r == null {
			if _, err := s.tx.Exec(ctx, fmt.Sprintf("UPDATE %s SET %s = NULL WHERE %s IS NOT NULL", ident(c.Table), ident(c.Name), ident(c.Name))); err != nil {
				return fmt.Errorf("clear %s.%s: %w", c.Table, c.Name, err)
			}
			continue
		}
		if _, ok := byTable[c.Table]; !ok {
			order = append(order, c.Table)
		}
		byTable[c.Table] = append(byTable[c.Table], c)
	}
	for _, t := range order {
		cols := byTable[t]
		sel := []string{"ctid::text"}
		for _, c := range cols {
			sel = append(sel, ident(c.Name)+"::text")
		}
		rows, err := s.tx.Query(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+ident(t))
		if err != nil {
			return fmt.Errorf("read %s: %w", t, err)
		}
		type row struct {
			ctid string
			vals []*string
		}
		var all []row
		for rows.Next() {
			r := row{vals: make([]*string, len(cols))}
			dest := []any{&r.ctid}
			for i := range cols {
				dest = append(dest, &r.vals[i])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return fmt.Errorf("read %s: %w", t, err)
			}
			all = append(all, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read %s: %w", t, err)
		}
		var set []string
		for i, c := range cols {
			set = append(set, fmt.Sprintf("%s = $%d::%s", ident(c.Name), i+1, castType(c.Type)))
		}
		update := fmt.Sprintf("UPDATE %s SET %s WHERE ctid = $%d::tid", ident(t), strings.Join(set, ", "), len(cols)+1)
		for _, r := range all {
			args := make([]any, 0, len(cols)+1)
			for i, c := range cols {
				v := r.vals[i]
				if v != nil {
					nv := s.apply(columns[t+"."+c.Name], *v)
					if nv != *v {
						s.rep.Replaced[t+"."+c.Name]++
					}
					v = &nv
				}
				args = append(args, v)
			}
			args = append(args, r.ctid)
			if _, err := s.tx.Exec(ctx, update, args...); err != nil {
				return fmt.Errorf("rewrite %s: %w", t, err)
			}
		}
	}
	return nil
}

func castType(dataType string) string {
	switch dataType {
	case "jsonb", "json":
		return dataType
	}
	return "text"
}

// attachments replaces every attachment's file with a placeholder of its type, stored under
// the copy's prefix, and its file name with a fake.
func (s *run) attachments(ctx context.Context) error {
	rows, err := s.tx.Query(ctx, `SELECT id, content_type, filename FROM attachments ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read attachments: %w", err)
	}
	type att struct {
		id           int64
		ctype, fname string
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (att, error) {
		var a att
		err := r.Scan(&a.id, &a.ctype, &a.fname)
		return a, err
	})
	if err != nil {
		return fmt.Errorf("read attachments: %w", err)
	}
	for _, a := range all {
		body, ctype, err := Placeholder(a.ctype)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])
		key := storage.Key(s.o.NewSlug, hash)
		if err := s.o.Blobs.Put(ctx, key, bytes.NewReader(body), ctype); err != nil {
			return err
		}
		fname := s.f.FileName(a.fname)
		if ctype != a.ctype && mediaType(ctype) != mediaType(a.ctype) {
			fname = strings.TrimSuffix(fname, extOf(fname)) + ".txt"
		}
		if _, err := s.tx.Exec(ctx, `UPDATE attachments SET content_type = $2, filename = $3, sha256 = $4, storage_key = $5, size_bytes = $6 WHERE id = $1`,
			a.id, ctype, fname, hash, key, len(body)); err != nil {
			return fmt.Errorf("rewrite attachment %d: %w", a.id, err)
		}
		s.rep.Attachments++
	}
	return nil
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[i:]
	}
	return ""
}

// imports replaces the files kept with past imports by placeholders of their type.
func (s *run) imports(ctx context.Context) error {
	rows, err := s.tx.Query(ctx, `SELECT id, filename FROM imports WHERE file IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("read imports: %w", err)
	}
	type imp struct {
		id    int64
		fname string
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (imp, error) {
		var i imp
		err := r.Scan(&i.id, &i.fname)
		return i, err
	})
	if err != nil {
		return fmt.Errorf("read imports: %w", err)
	}
	for _, i := range all {
		ctype := storage.TypeCSV
		if strings.EqualFold(extOf(i.fname), ".xlsx") {
			ctype = storage.TypeXLSX
		}
		body, _, err := Placeholder(ctype)
		if err != nil {
			return err
		}
		if _, err := s.tx.Exec(ctx, `UPDATE imports SET file = $2 WHERE id = $1`, i.id, body); err != nil {
			return fmt.Errorf("rewrite import %d: %w", i.id, err)
		}
	}
	return nil
}

// bankAccounts replaces the sealed IBANs of people and of the organisation with fake ones,
// sealed again for the same rows.
func (s *run) bankAccounts(ctx context.Context) error {
	box, err := auth.NewSecretBox(s.o.Secret, models.BankAccountPurpose)
	if err != nil {
		return err
	}
	rows, err := s.tx.Query(ctx, `SELECT user_id, iban_sealed FROM user_bank_accounts`)
	if err != nil {
		return fmt.Errorf("read bank accounts: %w", err)
	}
	type acct struct {
		id     int64
		sealed []byte
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (acct, error) {
		var a acct
		err := r.Scan(&a.id, &a.sealed)
		return a, err
	})
	if err != nil {
		return fmt.Errorf("read bank accounts: %w", err)
	}
	for _, a := range all {
		sealed, err := s.fakeIBAN(box, a.sealed, models.BankAccountContext(a.id))
		if err != nil {
			return fmt.Errorf("bank account of user %d: %w", a.id, err)
		}
		if _, err := s.tx.Exec(ctx, `UPDATE user_bank_accounts SET iban_sealed = $2 WHERE user_id = $1`, a.id, sealed); err != nil {
			return err
		}
	}
	var org []byte
	err = s.tx.QueryRow(ctx, `SELECT bank_iban_sealed FROM org_settings WHERE id = 1 AND bank_iban_sealed IS NOT NULL`).Scan(&org)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the organisation's bank account: %w", err)
	}
	sealed, err := s.fakeIBAN(box, org, models.OrgBankContext)
	if err != nil {
		return fmt.Errorf("the organisation's bank account: %w", err)
	}
	_, err = s.tx.Exec(ctx, `UPDATE org_settings SET bank_iban_sealed = $1 WHERE id = 1`, sealed)
	return err
}

func (s *run) fakeIBAN(box *auth.SecretBox, sealed []byte, context string) ([]byte, error) {
	iban, err := box.Open(sealed, context)
	if err != nil {
		return nil, fmt.Errorf("cannot open the sealed IBAN (is OUTLAY_SECRET_KEY the one it was sealed with?): %w", err)
	}
	return box.Seal(s.f.IBAN(iban), context), nil
}

// vendorAccounts replaces vendors' sealed account numbers (IBANs or US accounts) and the
// masked forms people see, in their bank details and in the copies payment runs took of them
// (sealed for the vendor too). The fakes are drawn from the originals, so a copy of the
// vendor's details gets the same fake as the details themselves.
func (s *run) vendorAccounts(ctx context.Context) error {
	box, err := auth.NewSecretBox(s.o.Secret, models.VendorBankSecretPurpose)
	if err != nil {
		return err
	}
	for _, table := range []string{"vendor_bank_accounts", "payment_run_vendors"} {
		key := "vendor_id"
		if table == "payment_run_vendors" {
			key = "id"
		}
		rows, err := s.tx.Query(ctx, `SELECT `+key+`, vendor_id, scheme, account_secret FROM `+table)
		if err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		type acct struct {
			models.VendorBankAccount
			id int64
		}
		all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (acct, error) {
			var a acct
			err := r.Scan(&a.id, &a.VendorID, &a.Scheme, &a.AccountSecret)
			return a, err
		})
		if err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		for _, a := range all {
			account, err := box.Open(a.AccountSecret, a.SecretContext())
			if err != nil {
				return fmt.Errorf("bank account of vendor %d (%s): cannot open it (is OUTLAY_SECRET_KEY the one it was sealed with?): %w", a.VendorID, table, err)
			}
			var fake, masked string
			if a.Scheme == models.BankIBAN {
				fake = s.f.IBAN(account)
				masked = bankfile.IBAN(fake).Masked()
			} else {
				fake = s.f.Shape("account", account)
				masked = models.MaskAccountNumber(fake)
			}
			s.masked[table+":"+strconv.FormatInt(a.id, 10)] = masked
			if _, err := s.tx.Exec(ctx, `UPDATE `+table+` SET account_secret = $2, account_masked = $3 WHERE `+key+` = $1`,
				a.id, box.Seal(fake, a.SecretContext()), masked); err != nil {
				return err
			}
		}
	}
	return nil
}

// ssoSecrets replaces every SSO provider's client secret with one that opens to nothing
// useful and switches the provider off: a staging copy must not sign in through the
// customer's identity provider.
func (s *run) ssoSecrets(ctx context.Context) error {
	box, err := auth.NewSecretBox(s.o.Secret, models.SSOSecretPurpose)
	if err != nil {
		return err
	}
	rows, err := s.tx.Query(ctx, `SELECT name FROM sso_providers WHERE client_secret_sealed IS NOT NULL OR enabled`)
	if err != nil {
		return fmt.Errorf("read SSO providers: %w", err)
	}
	providerNames, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("read SSO providers: %w", err)
	}
	for _, n := range providerNames {
		p := models.SSOProvider{Name: n}
		if _, err := s.tx.Exec(ctx, `UPDATE sso_providers SET enabled = false,
			client_secret_sealed = CASE WHEN client_secret_sealed IS NULL THEN NULL ELSE $2::bytea END WHERE name = $1`,
			n, box.Seal("removed from a sanitized copy", p.SecretContext())); err != nil {
			return fmt.Errorf("remove the secret of SSO provider %s: %w", n, err)
		}
	}
	return nil
}

// auditRow is a record of the log as it is written again.
type auditRow struct {
	at                            time.Time
	actorType                     string
	actorID                       int64
	actorLabel, action            string
	event, subject, details       *string
	tableName, recordID, old, new *string
	changed                       []string
	requestID, ip                 string
}

// auditLog sanitizes every record of the log as the rows were sanitized (old and new values
// column by column under the same rules, so a record agrees with its row) and writes the log
// again through its chain trigger, which numbers and hashes each record and keys it with the
// copy's key.
func (s *run) auditLog(ctx context.Context) error {
	rows, err := s.tx.Query(ctx, `SELECT at, actor_type, actor_id, actor_label, action, event, subject, details::text,
		table_name, record_id, old::text, new::text, changed, request_id, ip FROM audit_log ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read the audit log: %w", err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auditRow, error) {
		var a auditRow
		err := r.Scan(&a.at, &a.actorType, &a.actorID, &a.actorLabel, &a.action, &a.event, &a.subject, &a.details,
			&a.tableName, &a.recordID, &a.old, &a.new, &a.changed, &a.requestID, &a.ip)
		return a, err
	})
	if err != nil {
		return fmt.Errorf("read the audit log: %w", err)
	}
	for i := range all {
		a := &all[i]
		if emailPattern.FindString(a.actorLabel) == a.actorLabel && a.actorLabel != "" {
			a.actorLabel = s.f.Email(a.actorLabel)
		} else {
			a.actorLabel = s.scrub(a.actorLabel)
		}
		a.ip = s.f.IP(a.ip)
		if a.subject != nil {
			v := s.scrub(*a.subject)
			a.subject = &v
		}
		table, record := "", ""
		if a.tableName != nil {
			table = *a.tableName
		}
		if a.recordID != nil {
			record = *a.recordID
		}
		for _, p := range []**string{&a.details, &a.old, &a.new} {
			if *p == nil {
				continue
			}
			v, err := s.auditJSON(**p, table, record)
			if err != nil {
				return fmt.Errorf("audit record: %w", err)
			}
			*p = &v
		}
	}
	for _, q := range []string{
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate`,
		`TRUNCATE audit_log`,
		`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_truncate`,
	} {
		if _, err := s.tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("empty the audit log to write it again: %w", err)
		}
	}
	_, err = s.tx.CopyFrom(ctx, pgx.Identifier{"audit_log"},
		[]string{"id", "at", "actor_type", "actor_id", "actor_label", "action", "event", "subject", "details",
			"table_name", "record_id", "old", "new", "changed", "request_id", "ip", "prev_hash", "hash"},
		pgx.CopyFromSlice(len(all), func(i int) ([]any, error) {
			a := all[i]
			return []any{int64(0), a.at, a.actorType, a.actorID, a.actorLabel, a.action, a.event, a.subject, a.details,
				a.tableName, a.recordID, a.old, a.new, a.changed, a.requestID, a.ip, []byte{}, []byte{}}, nil
		}))
	if err != nil {
		return fmt.Errorf("write the audit log again: %w", err)
	}
	s.rep.AuditRows = len(all)
	return nil
}

// auditJSON sanitizes a record's JSON: in old and new values, each column's value under its
// column's rule; anything else (event details, columns without a rule) is scrubbed, and
// addresses named ip become fakes.
func (s *run) auditJSON(raw, table, record string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	var walk func(key string, v any) any
	walk = func(key string, v any) any {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				t[k] = walk(k, x)
			}
			return t
		case []any:
			for i, x := range t {
				t[i] = walk(key, x)
			}
			return t
		case string:
			if t == audit.Redacted {
				return t
			}
			r, ok := columns[table+"."+key]
			switch {
			case key == "ip":
				return s.f.IP(t)
			case ok && r == special && (table == "vendor_bank_accounts" || table == "payment_run_vendors") && key == "account_masked":
				if m, ok := s.masked[table+":"+record]; ok {
					return m
				}
				return audit.Redacted
			case ok && r == special && table == "attachments" && key == "filename":
				return s.f.FileName(t)
			case ok && r == null:
				return audit.Redacted
			case ok && r != keep && r != special:
				return s.apply(r, t)
			}
			return s.scrub(t)
		}
		return v
	}
	out, err := json.Marshal(walk("", v))
	return string(out), err
}

// Search looks through every text, JSON, array and binary column of the copy, and every
// file under its prefix in the blob store, for the original emails, full names and phones
// (as written, and a phone's digits alone). It returns where it found any, naming the place
// and the kind of value but not the value.
func Search(ctx context.Context, conn *pgx.Conn, blobs *storage.Store, slug string, o Originals, rep *Report) ([]string, error) {
	type needle struct{ kind, v string }
	var needles []needle
	for _, e := range o.Emails {
		needles = append(needles, needle{"email", strings.ToLower(e)})
	}
	for _, n := range o.Names {
		needles = append(needles, needle{"name", strings.ToLower(n)})
	}
	for _, p := range o.Phones {
		needles = append(needles, needle{"phone", strings.ToLower(p)})
		if d := digitsOnly(p); len(d) >= 7 && d != p {
			needles = append(needles, needle{"phone", d})
		}
	}
	if len(needles) == 0 {
		return nil, nil
	}
	patterns := make([]string, len(needles))
	for i, n := range needles {
		patterns[i] = "%" + likeEscape(n.v) + "%"
	}
	cols, err := Columns(ctx, conn)
	if err != nil {
		return nil, err
	}
	var found []string
	for _, c := range cols {
		if rep != nil {
			rep.SearchedCols++
		}
		if c.Type == "bytea" {
			rows, err := conn.Query(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s IS NOT NULL", ident(c.Name), ident(c.Table), ident(c.Name)))
			if err != nil {
				return nil, fmt.Errorf("search %s.%s: %w", c.Table, c.Name, err)
			}
			vals, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
			if err != nil {
				return nil, fmt.Errorf("search %s.%s: %w", c.Table, c.Name, err)
			}
			for _, v := range vals {
				low := bytes.ToLower(v)
				for _, n := range needles {
					if bytes.Contains(low, []byte(n.v)) {
						found = append(found, fmt.Sprintf("an original %s in %s.%s", n.kind, c.Table, c.Name))
						break
					}
				}
			}
			continue
		}
		rows, err := conn.Query(ctx, fmt.Sprintf("SELECT DISTINCT lower(%s::text) FROM %s WHERE lower(%s::text) LIKE ANY($1)",
			ident(c.Name), ident(c.Table), ident(c.Name)), patterns)
		if err != nil {
			return nil, fmt.Errorf("search %s.%s: %w", c.Table, c.Name, err)
		}
		vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("search %s.%s: %w", c.Table, c.Name, err)
		}
		kinds := map[string]bool{}
		for _, v := range vals {
			for _, n := range needles {
				if strings.Contains(v, n.v) {
					kinds[n.kind] = true
				}
			}
		}
		for _, k := range sortedKeys(kinds) {
			found = append(found, fmt.Sprintf("an original %s in %s.%s", k, c.Table, c.Name))
		}
	}
	keys, err := blobs.Keys(ctx, slug)
	if err != nil {
		return nil, err
	}
	for _, key := range keys {
		if rep != nil {
			rep.SearchedBlob++
		}
		r, err := blobs.Open(ctx, key)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("search file %s: %w", key, err)
		}
		low := bytes.ToLower(b)
		for _, n := range needles {
			if bytes.Contains(low, []byte(n.v)) {
				found = append(found, fmt.Sprintf("an original %s in file %s", n.kind, key))
				break
			}
		}
	}
	return found, nil
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// likeEscaper escapes LIKE's wildcards and its escape character.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func likeEscape(s string) string {
	return likeEscaper.Replace(s)
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }
