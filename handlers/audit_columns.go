package handlers

import (
	"strconv"
	"strings"
	"time"

	"outlay"
	"outlay/models"
	"outlay/money"
	"outlay/policy"
	"outlay/views"
	"outlay/views/approvalrules"
	"outlay/views/bills"
	"outlay/views/expenses"
	"outlay/views/purchasing"
	"outlay/views/requisitions"
	"outlay/views/travel"
	"outlay/views/users"
)

// How History and the audit log read recorded values. models names the columns, says which
// are left out and which point at other records; this file reads the values whose stored
// codes mean nothing to a person with the words the pages use for them. Every kind's History
// and the log read through it, so a new column that needs words is one entry here.

// historyCell is column col of a recorded row of table, with what reading it needs: the
// names of the records the entries point at and the organisation's time zone.
type historyCell struct {
	table, col string
	row        map[string]any
	names      models.AuditNames
	loc        *time.Location
}

// code is the cell's value when it is a non-empty code.
func (c historyCell) code() (string, bool) {
	s, ok := c.row[c.col].(string)
	return s, ok && s != ""
}

// columnValues read the columns whose values need more than valueText: by column, or by
// "table.column" (models.ForColumn). Event details are read as columns of the table "event".
var columnValues = map[string]func(historyCell) string{
	"requisitions.status":          words(requisitions.StatusLabel),
	"purchase_orders.status":       words(purchasing.StatusLabel),
	"travel_requests.status":       words(travel.StatusLabel),
	"expense_reports.status":       words(expenses.StatusLabel),
	"bills.status":                 words(bills.StatusLabel),
	"payment_runs.status":          words(models.PaymentStatusLabel),
	"reimbursement_batches.status": words(expenses.BatchStatusLabel),
	"approval_steps.status":        words(views.StepStatusLabel),
	"users.status":                 words(users.StatusLabel),
	"vendors.status":               words(vendorStatusLabel),

	"bills.match_mode":             words(bills.ModeLabel),
	"vendors.match_mode":           words(bills.ModeLabel),
	"org_settings.bill_match_mode": words(bills.ModeLabel),
	"bills.match_status":           words(matchLabel),
	"bill_lines.match_status":      words(matchLabel),
	"travel_legs.mode":             words(travel.ModeLabel),
	"expense_categories.trip_cost": words(models.TravelCostLabel),

	"expense_lines.kind":      words(expenses.KindLabel),
	"expense_lines.unit":      words(unitLabel),
	"mileage_rates.unit":      words(unitLabel),
	"expense_lines.unit_rate": expenseUnitRate,
	"mileage_rates.rate_milli": func(c historyCell) string {
		if n, ok := models.WholeNumber(c.row[c.col]); ok && money.ValidCurrency(rowCurrency(c)) {
			return money.FormatUnitRate(n, rowCurrency(c))
		}
		return valueText(c.row[c.col], c.loc)
	},

	"approval_steps.kind":           words(stepKindLabel),
	"approval_rule_steps.kind":      words(stepKindLabel),
	"doc_type":                      words(outlay.KindLabel),
	"approval_rules.budget_check":   words(approvalrules.BudgetCheckLabel),
	"approval_rules.payment_method": words(models.PaymentMethodLabel),
	"payment_runs.method":           words(models.PaymentMethodLabel),
	"payment_runs.paid_method":      words(models.PaymentMethodLabel),
	"reimbursement_batches.method": words(func(m string) string {
		return models.UpperFirst(models.ReimbursementMethodLabel(m))
	}),

	// How a vendor is paid, as its bank card says, in its bank details and in their copies
	// onto payment runs.
	"vendor_bank_accounts.scheme":       words(bankSchemeLabel),
	"payment_run_vendors.scheme":        words(bankSchemeLabel),
	"vendor_bank_accounts.account_type": words(accountTypeLabel),
	"payment_run_vendors.account_type":  words(accountTypeLabel),

	"casbin_rule.v1": words(policy.ObjectLabel),
	"casbin_rule.v2": words(policy.ActionLabel),

	"attachments.size_bytes": func(c historyCell) string {
		if n, ok := models.WholeNumber(c.row[c.col]); ok {
			return byteSize(n)
		}
		return valueText(c.row[c.col], c.loc)
	},

	// What an export's event says it exported, and the permission a role was given or lost.
	"event.list": words(exportLabel),
	"event.permission": words(func(p string) string {
		if object, action, ok := strings.Cut(p, ":"); ok {
			return policy.Permission{Object: object, Action: action}.Label()
		}
		return p
	}),
}

// words reads a code with label, the pages' word for it; a code the pages do not know (label
// says "" or the code itself) reads as stored.
func words(label func(string) string) func(historyCell) string {
	return func(c historyCell) string {
		code, ok := c.code()
		if !ok {
			return valueText(c.row[c.col], c.loc)
		}
		if l := label(code); l != "" {
			return l
		}
		return code
	}
}

// matchLabel is how a bill's (or a line's) match reads. The pages show no badge for a bill
// that has not been matched; History says so.
func matchLabel(match string) string {
	if match == models.MatchNone {
		return "Not matched"
	}
	return bills.MatchLabel(match)
}

// stepKindLabel says who a step of a route asks for, as the rule form offers the kinds.
func stepKindLabel(kind string) string {
	for _, k := range approvalrules.StepKinds {
		if k.Value == kind {
			return k.Label
		}
	}
	return kind
}

// unitLabel is how a distance's unit reads, as the mileage rate form offers it.
func unitLabel(unit string) string {
	for _, u := range unitOptions {
		if u.Value == unit {
			return u.Label
		}
	}
	return unit
}

// bankSchemeLabel names a scheme of bank account as a vendor's bank card does; "" for a code
// it does not know.
func bankSchemeLabel(scheme string) string {
	if scheme != models.BankIBAN && scheme != models.BankUSACH {
		return ""
	}
	return (&models.VendorBankAccount{Scheme: scheme}).SchemeLabel()
}

// accountTypeLabel is how a US account's type reads, as the vendor's bank details form offers
// it.
func accountTypeLabel(kind string) string {
	for _, f := range vendorBankFields(nil) {
		if f.Name != "account_type" {
			continue
		}
		for _, o := range f.Options {
			if o.Value == kind {
				return o.Label
			}
		}
	}
	return kind
}

// rowCurrency is the recorded row's own currency, if it has one.
func rowCurrency(c historyCell) string {
	cur, _ := c.row["currency"].(string)
	return cur
}

// expenseUnitRate reads the rate an expense line was priced at: per unit of distance for
// mileage (in thousandths of a minor unit), per day for a per diem.
func expenseUnitRate(c historyCell) string {
	n, ok := models.WholeNumber(c.row[c.col])
	cur := rowCurrency(c)
	if !ok || !money.ValidCurrency(cur) {
		return valueText(c.row[c.col], c.loc)
	}
	switch c.row["kind"] {
	case models.LineMileage:
		unit, _ := c.row["unit"].(string)
		return money.FormatUnitRate(n, cur) + " per " + unitLabel(unit)
	case models.LinePerDiem:
		return money.Money{Minor: n, Currency: cur}.String() + " per day"
	}
	return valueText(c.row[c.col], c.loc)
}

// referenceText names the record of table with key v: a role by its label, another record by
// its name with its id ("Engineering (#3)"), or by its id alone when it is gone.
func referenceText(table string, v any, names models.AuditNames, loc *time.Location) (string, bool) {
	if table == "roles" {
		name, ok := v.(string)
		if !ok || name == "" {
			return "", false
		}
		if label, found := names.Roles[name]; found {
			return label, true
		}
		return name, true // a role deleted since
	}
	n, ok := models.WholeNumber(v)
	if !ok {
		s, isText := v.(string)
		id, err := strconv.ParseInt(s, 10, 64)
		if !isText || err != nil {
			return "", false
		}
		n = id
	}
	id := "#" + strconv.FormatInt(n, 10)
	ref, found := names.Records[table][n]
	switch {
	case !found:
		return id, true
	case strings.HasSuffix(ref.Name, id): // a draft is named by its id already: "Draft trip #10"
		return ref.Name, true
	}
	return ref.Name + " (" + id + ")", true
}

// exportLabels name what each list's export holds, continuing "Exported": by the list's name
// (listExport.name), where its name in words does not say it.
var exportLabels = map[string]string{
	"requisitions":     "own requisitions",
	"all-requisitions": "all requisitions",
	"travel":           "own trips",
	"all-travel":       "all trips",
	"expenses":         "own expense reports",
	"all-expenses":     "all expense reports",
	"approvals":        "the approvals queue",
	"audit-log":        "the audit log",
	"aging":            "the bills' aging",
	"users":            "people",
	"gl-accounts":      "GL accounts",
	"reimbursements":   "reimbursement batches",
	"notifications":    "own notifications",
	"api-tokens":       "own API tokens",
	"all-api-tokens":   "all API tokens",
}

// exportLabel is what an export of the list named name holds ("all trips", "expense
// categories"); a subject that names no list ("reimbursement batch RB-000002") reads as it is.
func exportLabel(name string) string {
	if l, ok := exportLabels[name]; ok {
		return l
	}
	if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz-") == "" {
		return strings.ReplaceAll(name, "-", " ")
	}
	return name
}
