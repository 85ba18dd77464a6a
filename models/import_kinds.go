package models

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"outlay"
	"outlay/money"
)

// The kinds an import takes. Each reads its records as a file writes them and saves a row
// through the same model function as its form.
var importKinds = []*ImportKind{
	importDepartments, importLocations, importGLAccounts, importVendors,
	importUsers, importBudgets, importExpenseCategories, importApprovalRules,
}

func col(name, label, example string, required bool, aliases ...string) ImportColumn {
	return ImportColumn{Name: name, Label: label, Example: example, Required: required, Aliases: aliases}
}

func (c ImportColumn) as(how compareAs) ImportColumn { c.compare = how; return c }

func (c ImportColumn) help(s string) ImportColumn { c.Help = s; return c }

func (c ImportColumn) orEmpty(def string) ImportColumn { c.Default = def; return c }

// amountText writes minor units as a file holds them: "1500.00".
func amountText(minor int64, currency string) string {
	return money.Money{Minor: minor, Currency: currency}.Plain()
}

// optionalAmount reads an optional amount column of records.
func optionalAmount(v ImportValues, col string, minor *int64) {
	if minor != nil {
		v[col] = amountText(*minor, v["currency"])
	}
}

var importDepartments = &ImportKind{
	Name: "departments", Object: outlay.ObjDepartments, Label: "Departments", Key: []string{"name"},
	Columns: []ImportColumn{
		col("name", "Name", "Engineering", true, "department"),
		col("code", "Code", "ENG", false).as(compareFold),
		col("head", "Head (email)", "grace@example.com", false, "head email", "department head").as(compareFold).help("The email of an active person, or empty."),
		col("default_gl_account", "Default GL account (code)", "6100", false, "gl account", "default gl").as(compareFold),
	},
	records: func(ctx context.Context, tx *gorm.DB) ([]ImportRecord, error) {
		return readRecords(ctx, tx, `SELECT d.id, d.name, d.code, COALESCE(h.email, '') AS head, COALESCE(g.code, '') AS default_gl_account
			FROM departments d LEFT JOIN users h ON h.id = d.head_id LEFT JOIN gl_accounts g ON g.id = d.default_gl_account_id ORDER BY d.id`)
	},
	save: func(ctx context.Context, tx *gorm.DB, id int64, v ImportValues, refs *importRefs) (int64, error) {
		verr := outlay.ValidationErrors{}
		in, err := departmentInput(v, refs, verr)
		if err != nil {
			return 0, err
		}
		// A code an earlier row gives a new department is not written yet: the claims know it.
		if err := refs.departmentCodes().check(verr, in.Code, id); err != nil {
			return 0, err
		}
		if err := verr.Err(); err != nil {
			return 0, err
		}
		id, err = SaveDepartment(ctx, tx, id, in)
		if err == nil {
			refs.departmentCodes().claim(in.Code, id)
		}
		return id, err
	},
	bulk: bulkOf(func(v ImportValues, refs *importRefs, verr outlay.ValidationErrors) (*Department, error) {
		in, err := departmentInput(v, refs, verr)
		if err != nil {
			return nil, err
		}
		d := departmentRecord(&in, verr)
		if err := refs.checkNewDepartment(verr, d); err != nil {
			return nil, err
		}
		if len(verr) == 0 {
			refs.departmentCodes().claim(d.Code, 0)
		}
		return d, nil
	}),
}

// departmentInput reads a department row as the form's input, resolving its head and
// default GL account; a name that matches nothing is refused in verr.
func departmentInput(v ImportValues, refs *importRefs, verr outlay.ValidationErrors) (DepartmentInput, error) {
	in := DepartmentInput{Name: v.Get("name"), Code: v.Get("code")}
	var err error
	if in.HeadID, err = refs.user(verr, "head", v["head"]); err != nil {
		return in, err
	}
	in.DefaultGLAccountID, err = refs.glAccount(verr, "default_gl_account", v["default_gl_account"])
	return in, err
}

var importLocations = &ImportKind{
	Name: "locations", Object: outlay.ObjLocations, Label: "Locations", Key: []string{"name"},
	Columns: []ImportColumn{
		col("name", "Name", "Berlin office", true, "location"),
		col("address", "Address", "Unter den Linden 1, 10117 Berlin", false),
	},
	records: func(ctx context.Context, tx *gorm.DB) ([]ImportRecord, error) {
		return readRecords(ctx, tx, `SELECT id, name, address FROM locations ORDER BY id`)
	},
	save: func(ctx context.Context, tx *gorm.DB, id int64, v ImportValues, _ *importRefs) (int64, error) {
		return SaveLocation(ctx, tx, id, LocationInput{Name: v.Get("name"), Address: v.Get("address")})
	},
	bulk: bulkOf(func(v ImportValues, _ *importRefs, verr outlay.ValidationErrors) (*Location, error) {
		return locationRecord(&LocationInput{Name: v["name"], Address: v["address"]}, verr), nil
	}),
}

var importGLAccounts = &ImportKind{
	Name: "gl-accounts", Object: outlay.ObjGLAccounts, Label: "GL accounts", Key: []string{"code"},
	Columns: []ImportColumn{
		col("code", "Code", "6100", true, "account", "account code", "gl code"),
		col("name", "Name", "Office supplies", true, "account name", "description"),
	},
	records: func(ctx context.Context, tx *gorm.DB) ([]ImportRecord, error) {
		return readRecords(ctx, tx, `SELECT id, code, name FROM gl_accounts ORDER BY id`)
	},
	save: func(ctx context.Context, tx *gorm.DB, id int64, v ImportValues, _ *importRefs) (int64, error) {
		return SaveGLAccount(ctx, tx, id, GLAccountInput{Code: v.Get("code"), Name: v.Get("name")})
	},
	bulk: bulkOf(func(v ImportValues, _ *importRefs, verr outlay.ValidationErrors) (*GLAccount, error) {
		return glAccountRecord(&GLAccountInput{Code: v["code"], Name: v["name"]}, verr), nil
	}),
}

var importVendors = &ImportKind{
	Name: "vendors", Object: outlay.ObjVendors, Label: "Vendors", Key: []string{"name"},
	Columns: []ImportColumn{
		col("name", "Name", "Acme Supplies Ltd", true, "vendor", "vendor name", "supplier"),
		col("contact_name", "Contact name", "Jo Bloggs", false, "contact"),
		col("email", "Email", "orders@acme.example", false, "e-mail").as(compareFold),
		col("phone", "Phone", "+44 20 7946 0000", false, "telephone"),
		col("tax_id", "Tax ID", "GB123456789", false, "vat", "vat number", "tax number"),
		col("payment_terms", "Payment terms (days)", "30", true, "terms", "payment terms days"),
		col("currency", "Currency", "USD", false).as(compareFold).help("A three-letter ISO code; empty for the organisation's default."),
		col("status", "Status", VendorActive, false, "vendor status").as(compareCode).help("active or on_hold (or On hold); empty for active.").orEmpty(VendorActive),
		col("address", "Address", "1 Main St, Springfield", false),
	},
	records: func(ctx context.Context, tx *gorm.DB) ([]ImportRecord, error) {
		return readRecords(ctx, tx, `SELECT id, name, contact_name, email, phone, tax_id, payment_terms_days::text AS payment_terms,
			currency, status, address FROM vendors ORDER BY id`)
	},
	save: func(ctx context.Context, tx *gorm.DB, id int64, v ImportValues, refs *importRefs) (int64, error) {
		in, err := vendorInput(v, refs)
		if err != nil {
			return 0, err
		}
		return SaveVendor(ctx, tx, id, in)
	},
	bulk: bulkOf(func(v ImportValues, refs *importRefs, verr outlay.ValidationErrors) (*Vendor, error) {
		in, err := vendorInput(v, refs)
		return vendorRecord(&in, verr), err
	}),
}

// vendorInput reads a vendor row as the form's input: an empty status is active, an empty
// currency the organisation's default.
func vendorInput(v ImportValues, refs *importRefs) (VendorInput, error) {
	in := VendorInput{Name: v["name"], ContactName: v["contact_name"], Email: v["email"], Phone: v["phone"], TaxID: v["tax_id"],
		PaymentTerms: v["payment_terms"], Currency: v["currency"], Address: v["address"],
		Status: codeWord(v.Get("status"))}
	if in.Status == "" {
		in.Status = VendorActive
	}
	if strings.TrimSpace(in.Currency) == "" {
		cur, err := refs.defaultCurrency()
		if err != nil {
			return in, err
		}
		in.Currency = cur
	}
	return in, nil
}

var importUsers = &ImportKind{
	Name: "users", Object: outlay.ObjUsers, Label: "Users", Key: []string{"email"},
	canonical: personByNames,
	Columns: []ImportColumn{
		col("email", "Email", "ada@example.com", true, "e-mail", "email address"),
		col("name", "Name", "Ada Lovelace", true, "full name"),
		col("roles", "Roles", "requester, approver", true, "role").as(compareList).help("Role names (or labels) separated by commas."),
		col("department", "Department", "Engineering", false).as(compareFold).help("A department's name or code, or empty."),
		col("manager", "Manager (email)", "grace@example.com", false, "manager email").as(compareFold).help("Someone already imported, above this row or before."),
		col("location", "Location", "Berlin office", false).as(compareFold),
	},
	records: func(ctx context.Context, tx *gorm.DB) ([]ImportRecord, error) {
		return readRecords(ctx, tx, `SELECT u.id, u.email, u.name,
				COALESCE((SELECT string_agg(r.role, ', ' ORDER BY r.role) FROM user_roles r WHERE r.user_id = u.id), '') AS roles,
				COALESCE(d.name, '') AS department, COALESCE(m.email, '') AS manager, COALESCE(l.name, '') AS location
			FROM users u LEFT JOIN departments d ON d.id = u.department_id LEFT JOIN users m ON m.id = u.manager_id
			LEFT JOIN locations l ON l.id = u.location_id ORDER BY u.id`)
	},
	save: func(ctx context.Context, tx *gorm.DB, id int64, v ImportValues, refs *importRefs) (int64, error) {
		verr := outlay.ValidationErrors{}
		roles, err := refs.roleNames(v["roles"])
		if err != nil {
			return 0, err
		}
		ch := UserChange{Name: v.Get("name"), Roles: roles}
		err = resolve(verr,
			// Told with the row's other problems, not after they are put right.
			func() error {
				if refs.knownRoles(roles) {
					return nil
				}
				return checkRolesExist(refs.tx, verr, roles)
			},
			func() (err error) {
				ch.DepartmentID, err = refs.department(verr, "department", v["department"])
				return
			},
			func() (err error) { ch.ManagerID, err = refs.user(verr, "manager", v["manager"]); return },
			func() (err error) { ch.LocationID, err = refs.location(verr, "location", v["location"]); return })
		if err != nil {
			return 0, err
		}
		if id != 0 {
			// Giving an invited person more access spends their set-password links and sends
			// them a new one, as editing them by hand does.
			re, err := UpdateUserWithMail(ctx, tx, refs.grantor, id, ch, InvitationTTL, refs.invite)
			if err != nil {
				return id, err
			}
			refs.reinvite(v.Get("email"), oneSpaced(ch.Name), re)
			return id, refs.changedUser(ctx, id)
		}
		// New people are invited, and sent their invitation, as inviting them by hand does.
		u, _, mailID, err := InviteUserWithMail(ctx, tx, refs.grantor, NewUser{Email: v.Get("email"), Name: ch.Name, Roles: ch.Roles,
			DepartmentID: ch.DepartmentID, ManagerID: ch.ManagerID}, InvitationTTL, refs.invite)
		if err != nil {
			return 0, err
		}
		refs.invited = &mailID
		refs.learnUser(u.Email, u.ID)
		if ch.LocationID != nil {
			err = UpdateUser(ctx, tx, refs.grantor, u.ID, ch)
		}
		return u.ID, err
	},
}

var importBudgets = &ImportKind{
	Name: "budgets", Object: outlay.ObjBudgets, Label: "Budgets", Key: []string{"department", "gl_account", "period_start"},
	Columns: []ImportColumn{
		col("department", "Department", "Engineering", true).as(compareFold).help("A department's name or code."),
		col("gl_account", "GL account (code)", "6100", true, "gl account", "account").as(compareFold),
		col("period_start", "Period start", "2026-01-01", true, "start", "from").as(compareDate).help("A date like 2026-01-31."),
		col("period_end", "Period end", "2026-12-31", true, "end", "to").as(compareDate),
		col("amount", "Amount", "50000.00", true, "budget").as(compareAmount),
		col("currency", "Currency", "USD", false).as(compareFold).help("Empty for the organisation's default."),
	},
	records: func(ctx context.Context, tx *gorm.DB) ([]ImportRecord, error) {
		recs, err := readRecords(ctx, tx, `SELECT b.id, d.name AS department, g.code AS gl_account,
				to_char(b.period_start, 'YYYY-MM-DD') AS period_start, to_char(b.period_end, 'YYYY-MM-DD') AS period_end,
				b.amount_minor::text AS amount, b.currency
			FROM budgets b JOIN departments d ON d.id = b.department_id JOIN gl_accounts g ON g.id = b.gl_account_id
			WHERE b.archived_at IS NULL ORDER BY b.id`)
		for _, r := range recs {
			r.Values["amount"] = minorText(r.Values["amount"], r.Values["currency"])
		}
		return recs, err
	},
	canonical: departmentByName,
	save: func(ctx context.Context, tx *gorm.DB, id int64, v ImportValues, refs *importRefs) (int64, error) {
		verr := outlay.ValidationErrors{}
		var dept, gl *int64
		err := resolve(verr,
			func() (err error) { dept, err = refs.department(verr, "department", v["department"]); return },
			func() (err error) { gl, err = refs.glAccount(verr, "gl_account", v["gl_account"]); return })
		if err != nil {
			return 0, err
		}
		return SaveBudget(ctx, tx, id, BudgetInput{DepartmentID: *dept, GLAccountID: *gl, PeriodStart: v["period_start"],
			PeriodEnd: v["period_end"], Amount: v["amount"], Currency: v["currency"]})
	},
}

// minorText turns minor units read as text into an amount as a file holds it.
func minorText(minor, currency string) string {
	var n int64
	for _, r := range minor {
		if r == '-' {
			continue
		}
		n = n*10 + int64(r-'0')
	}
	if strings.HasPrefix(minor, "-") {
		n = -n
	}
	return amountText(n, currency)
}

var importExpenseCategories = &ImportKind{
	Name: "expense-categories", Object: outlay.ObjExpensePolicy, Label: "Expense categories", Key: []string{"name"},
	Columns: []ImportColumn{
		col("name", "Name", "Meals", true, "category"),
		col("gl_account", "GL account (code)", "6400", true, "gl account", "account").as(compareFold),
		col("limit", "Limit", "75.00", false).as(compareAmount).help("Empty for no limit."),
		col("limit_per", "Limit per", LimitPerDay, false, "per").as(compareFold).help("line or day, with a limit."),
		col("currency", "Currency", "USD", true).as(compareFold),
	},
	records: func(ctx context.Context, tx *gorm.DB) ([]ImportRecord, error) {
		recs, err := readRecords(ctx, tx, `SELECT c.id, c.name, g.code AS gl_account, COALESCE(c.limit_minor::text, '') AS limit,
				COALESCE(c.limit_per, '') AS limit_per, c.currency
			FROM expense_categories c JOIN gl_accounts g ON g.id = c.gl_account_id ORDER BY c.id`)
		for _, r := range recs {
			if r.Values["limit"] != "" {
				r.Values["limit"] = minorText(r.Values["limit"], r.Values["currency"])
			}
		}
		return recs, err
	},
	save: func(ctx context.Context, tx *gorm.DB, id int64, v ImportValues, refs *importRefs) (int64, error) {
		verr := outlay.ValidationErrors{}
		var gl *int64
		if err := resolve(verr, func() (err error) { gl, err = refs.glAccount(verr, "gl_account", v["gl_account"]); return }); err != nil {
			return 0, err
		}
		return SaveExpenseCategory(ctx, tx, id, ExpenseCategoryInput{Name: v["name"], GLAccountID: *gl, Limit: v["limit"],
			LimitPer: strings.ToLower(v.Get("limit_per")), Currency: v["currency"]})
	},
}

var importApprovalRules = &ImportKind{
	Name: "approval-rules", Object: outlay.ObjApprovalRules, Label: "Approval rules", Key: []string{"doc_type", "name"},
	canonical: departmentByName,
	Columns: []ImportColumn{
		col("doc_type", "Document kind", outlay.DocRequisition, true, "kind", "document", "type").as(compareFold).
			help("requisition, expense or travel: the kind of document the rule routes."),
		col("name", "Name", "Engineering over 10,000", true, "rule"),
		col("priority", "Priority", "10", true).help("A whole number; lower numbers come first."),
		col("department", "Department", "Engineering", false).as(compareFold).help("Empty for every department."),
		col("gl_account", "GL account (code)", "", false, "gl account").as(compareFold).help("Empty for every account."),
		col("currency", "Currency", "USD", true).as(compareFold),
		col("min_amount", "From amount", "10000.00", false, "min", "minimum").as(compareAmount),
		col("max_amount", "Below amount", "", false, "max", "maximum").as(compareAmount),
		col("budget_check", "Budget check", BudgetCheckNone, false).as(compareFold).help("none, warn or block; empty for none.").orEmpty(BudgetCheckNone),
		col("active", "Active", "yes", false).as(compareFold).help("yes or no; empty for yes.").orEmpty("yes"),
		col("steps", "Steps", "manager; role:admin", true, "approvers").as(compareFold).
			help("In order, separated by semicolons: manager, department_head, role:NAME or user:EMAIL."),
	},
	records: func(ctx context.Context, tx *gorm.DB) ([]ImportRecord, error) {
		recs, err := readRecords(ctx, tx, `SELECT r.id, r.doc_type, r.name, r.priority::text AS priority, COALESCE(d.name, '') AS department,
				COALESCE(g.code, '') AS gl_account, r.currency, COALESCE(r.min_amount_minor::text, '') AS min_amount,
				COALESCE(r.max_amount_minor::text, '') AS max_amount, r.budget_check, CASE WHEN r.active THEN 'yes' ELSE 'no' END AS active,
				COALESCE((SELECT string_agg(CASE s.kind WHEN 'role' THEN 'role:' || s.role WHEN 'user' THEN 'user:' || u.email ELSE s.kind END,
					'; ' ORDER BY s.position) FROM approval_rule_steps s LEFT JOIN users u ON u.id = s.user_id WHERE s.rule_id = r.id), '') AS steps
			FROM approval_rules r LEFT JOIN departments d ON d.id = r.department_id LEFT JOIN gl_accounts g ON g.id = r.gl_account_id
			WHERE r.archived_at IS NULL ORDER BY r.id`)
		for _, r := range recs {
			for _, c := range []string{"min_amount", "max_amount"} {
				if r.Values[c] != "" {
					r.Values[c] = minorText(r.Values[c], r.Values["currency"])
				}
			}
		}
		return recs, err
	},
	save: func(ctx context.Context, tx *gorm.DB, id int64, v ImportValues, refs *importRefs) (int64, error) {
		in := RuleInput{DocType: strings.ToLower(v.Get("doc_type")), Name: v["name"], Priority: v["priority"],
			Currency: strings.ToUpper(v.Get("currency")), MinAmount: v["min_amount"], MaxAmount: v["max_amount"],
			BudgetCheck: strings.ToLower(v.Get("budget_check")), Active: true}
		if in.BudgetCheck == "" {
			in.BudgetCheck = BudgetCheckNone
		}
		verr := outlay.ValidationErrors{}
		switch strings.ToLower(v.Get("active")) {
		case "", "yes", "y", "true", "1":
		case "no", "n", "false", "0":
			in.Active = false
		default:
			verr.Add("active", "Enter yes or no.")
		}
		err := resolve(verr,
			func() (err error) {
				in.DepartmentID, err = refs.department(verr, "department", v["department"])
				return
			},
			func() (err error) { in.GLAccountID, err = refs.glAccount(verr, "gl_account", v["gl_account"]); return },
			func() error {
				for _, s := range strings.Split(v["steps"], ";") {
					kind, arg, _ := strings.Cut(strings.TrimSpace(s), ":")
					step := RuleStepInput{Kind: strings.ToLower(strings.TrimSpace(kind))}
					switch step.Kind {
					case "":
						continue
					case StepManager, StepDepartmentHead:
					case StepRole:
						step.Role = strings.TrimSpace(arg)
					case StepUser:
						var err error
						if step.UserID, err = refs.user(verr, "steps", arg); err != nil {
							return err
						}
					default:
						verr.Add("steps", "Write each step as manager, department_head, role:NAME or user:EMAIL, separated by semicolons.")
					}
					in.Steps = append(in.Steps, step)
				}
				if len(in.Steps) == 0 {
					verr.Add("steps", "Give the rule at least one step.")
				}
				return nil
			})
		if err != nil {
			return 0, err
		}
		if id != 0 {
			return id, UpdateApprovalRule(ctx, tx, id, in)
		}
		r, err := CreateApprovalRule(ctx, tx, in)
		if err != nil {
			return 0, err
		}
		return r.ID, nil
	},
}
