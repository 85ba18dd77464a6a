package sanitize

// rule says what a clone does with a column's values.
type rule string

const (
	keep     rule = "keep"     // codes, statuses, amounts' currencies, numbers: no personal data
	scrub    rule = "scrub"    // business text that may mention people: known names, emails and phones inside are replaced
	text     rule = "text"     // free text people write (comments, justifications): replaced with filler
	name     rule = "name"     // a person's name
	company  rule = "company"  // an organisation's name
	email    rule = "email"    // an email address
	phone    rule = "phone"    // a phone number
	address  rule = "address"  // a postal address
	place    rule = "place"    // a town or destination
	shape    rule = "shape"    // an identifier (tax id, company id): same layout, other characters
	bic      rule = "bic"      // a bank's BIC
	routing  rule = "routing"  // a US routing number
	token    rule = "token"    // an opaque external identifier
	fileName rule = "filename" // a file's name
	null     rule = "null"     // a secret: removed
	special  rule = "special"  // handled by its table's own step (attachments, sealed accounts, the audit log)
)

// droppedTables hold only secrets and traces of people's sessions and mail: a clone keeps
// none of their rows. Passwords go too (users.password_hash), so nobody signs in to a clone
// with a password from the source.
var droppedTables = map[string]string{
	"sessions":                  "signed-in browsers",
	"api_tokens":                "API tokens",
	"password_resets":           "password reset links",
	"sso_auth_states":           "SSO sign-ins under way",
	"sso_link_confirmations":    "SSO sign-ins waiting for their person to confirm the link",
	"two_factor_challenges":     "two-factor challenges",
	"two_factor_recovery_codes": "two-factor recovery codes",
	"user_two_factor":           "two-factor secrets",
	"login_failures":            "failed sign-ins (emails tried, addresses, device cookies)",
	"mail_outbox":               "mail sent and waiting (addresses and bodies)",
	"audit_pending":             "audit records not yet committed (empty between transactions)",
}

// columns classifies every text, JSON, array and binary column of every tenant table. A
// column missing here stops a clone (and fails TestEveryColumnIsClassified): whoever adds it
// decides whether it can hold personal data.
var columns = map[string]rule{
	"api_tokens.name": keep, "api_tokens.token_hash": keep,
	"approval_rule_steps.kind": keep, "approval_rule_steps.role": keep,
	"approval_rules.budget_check": keep, "approval_rules.currency": keep, "approval_rules.doc_type": keep,
	"approval_rules.name": scrub, "approval_rules.payment_method": keep,
	"approval_steps.comment": text, "approval_steps.doc_type": keep, "approval_steps.kind": keep,
	"approval_steps.role": keep, "approval_steps.status": keep,
	"attachments.content_type": keep, "attachments.doc_type": keep, "attachments.filename": special,
	"attachments.sha256": special, "attachments.storage_key": special,

	"audit_log.action": special, "audit_log.actor_label": special, "audit_log.actor_type": special,
	"audit_log.changed": special, "audit_log.details": special, "audit_log.event": special,
	"audit_log.hash": special, "audit_log.ip": special, "audit_log.keyed_hash": special,
	"audit_log.new": special, "audit_log.old": special, "audit_log.prev_hash": special,
	"audit_log.record_id": special, "audit_log.request_id": special, "audit_log.subject": special,
	"audit_log.table_name": special,
	"audit_pending.action": keep, "audit_pending.actor_label": keep, "audit_pending.actor_type": keep,
	"audit_pending.changed": keep, "audit_pending.details": keep, "audit_pending.event": keep,
	"audit_pending.ip": keep, "audit_pending.new": keep, "audit_pending.old": keep,
	"audit_pending.record_id": keep, "audit_pending.request_id": keep, "audit_pending.subject": keep,
	"audit_pending.table_name": keep,

	"bill_lines.description": scrub, "bill_lines.match_note": scrub, "bill_lines.match_status": keep,
	"bills.currency": keep, "bills.form_key": keep, "bills.match_mode": keep, "bills.match_status": keep,
	"bills.memo": text, "bills.number": keep, "bills.release_reason": text, "bills.status": keep, "bills.void_reason": text,
	"bills.vendor_invoice_number": keep, "bills.authors": keep,
	"budgets.currency":  keep,
	"casbin_rule.ptype": keep, "casbin_rule.v0": keep, "casbin_rule.v1": keep, "casbin_rule.v2": keep,
	"casbin_rule.v3": keep, "casbin_rule.v4": keep, "casbin_rule.v5": keep,
	"comments.body": text, "comments.doc_type": keep, "comments.form_key": keep,
	"daily_mails.kind": keep,
	"departments.code": keep, "departments.name": scrub,
	"document_numbers.kind": keep, "document_numbers.prefix": keep,
	"expense_categories.currency": keep, "expense_categories.limit_per": keep, "expense_categories.name": scrub,
	"expense_categories.trip_cost": keep,
	"expense_lines.currency":       keep, "expense_lines.from_place": place, "expense_lines.justification": text,
	"expense_lines.kind": keep, "expense_lines.merchant": scrub, "expense_lines.note": text,
	"expense_lines.to_place": place, "expense_lines.unit": keep,
	"expense_reports.currency": keep, "expense_reports.form_key": keep, "expense_reports.number": keep, "expense_reports.purpose": text,
	"expense_reports.status": keep, "expense_reports.title": scrub, "expense_reports.sent_back_reason": text,
	"export_batch_documents.doc_type": keep,
	"gl_accounts.code":                keep, "gl_accounts.name": scrub,
	"imports.file": special, "imports.filename": fileName, "imports.kind": keep, "imports.mapping": scrub,
	"imports.message": scrub, "imports.result": scrub, "imports.status": keep,
	"locations.address": address, "locations.name": scrub,
	"login_failures.device": keep, "login_failures.email": keep, "login_failures.ip": keep,
	"mail_outbox.body": keep, "mail_outbox.html": keep, "mail_outbox.kind": keep, "mail_outbox.last_error": keep,
	"mail_outbox.recipient": keep, "mail_outbox.status": keep, "mail_outbox.subject": keep,
	"mail_outbox.unsubscribe": keep,
	"mileage_rates.currency":  keep, "mileage_rates.unit": keep,
	"notification_preferences.delivery": keep, "notification_preferences.kind": keep,
	"notifications.doc_type": keep, "notifications.kind": keep, "notifications.link_path": keep,
	"notifications.summary": scrub, "notifications.title": scrub,
	"org_settings.bank_account_name": name, "org_settings.bank_bic": bic, "org_settings.bank_iban_sealed": special,
	"org_settings.bill_match_mode": keep, "org_settings.bill_to_address": address,
	"org_settings.budget_spent_basis": keep, "org_settings.default_currency": keep, "org_settings.time_zone": keep,
	"password_resets.token_hash": keep,
	"payment_runs.currency":      keep, "payment_runs.memo": text, "payment_runs.method": keep,
	"payment_runs.number": keep, "payment_runs.paid_method": keep, "payment_runs.reference": scrub,
	"payment_runs.status": keep, "payment_runs.authors": keep, "payment_runs.file_message_id": keep,
	"payment_run_vendors.account_masked": special, "payment_run_vendors.account_secret": special,
	"payment_run_vendors.account_type": keep, "payment_run_vendors.bic": bic,
	"payment_run_vendors.holder_name": name, "payment_run_vendors.routing_number": routing,
	"payment_run_vendors.scheme":     keep,
	"payment_settings.ach_bank_name": scrub, "payment_settings.ach_company_id": shape,
	"payment_settings.ach_routing_number": routing, "payment_settings.company_name": company,
	"per_diem_rates.currency": keep, "per_diem_rates.destination": scrub,
	"purchase_order_lines.description": scrub,
	"purchase_orders.bill_to_address":  address, "purchase_orders.close_reason": text,
	"purchase_orders.currency": keep, "purchase_orders.number": keep, "purchase_orders.payment_terms": keep,
	"purchase_orders.status": keep, "purchase_orders.vendor_notes": text,
	"receipts.note":                text,
	"reimbursement_batches.method": keep, "reimbursement_batches.number": keep,
	"reimbursement_batches.reference": scrub, "reimbursement_batches.status": keep,
	"reimbursement_batches.file_message_id": keep,
	"requisition_lines.description":         scrub,
	"requisitions.currency":                 keep, "requisitions.form_key": keep, "requisitions.justification": text,
	"requisitions.number": keep, "requisitions.status": keep,
	"roles.label": keep, "roles.name": keep,
	"sessions.id_hash": keep, "sessions.ip": keep, "sessions.method": keep, "sessions.user_agent": keep,
	"status_tallies.status": keep, "status_tallies.tbl": keep,
	"sso_auth_states.next": keep, "sso_auth_states.nonce": keep, "sso_auth_states.pkce_verifier": keep,
	"sso_auth_states.provider": keep, "sso_auth_states.state_hash": keep,
	"sso_link_confirmations.email": keep, "sso_link_confirmations.id_hash": keep, "sso_link_confirmations.next": keep,
	"sso_link_confirmations.provider": keep, "sso_link_confirmations.subject": keep,
	"sso_identities.email": email, "sso_identities.provider": keep, "sso_identities.subject": token,
	"sso_providers.allowed_domains": keep, "sso_providers.client_id": keep, "sso_providers.client_secret_sealed": special,
	"sso_providers.entra_tenant_id": keep, "sso_providers.issuer": keep, "sso_providers.jit_role": keep,
	"sso_providers.kind": keep, "sso_providers.label": keep, "sso_providers.name": keep,
	"travel_legs.from_place": place, "travel_legs.mode": keep, "travel_legs.to_place": place,
	"travel_requests.cancel_reason": text, "travel_requests.currency": keep, "travel_requests.destinations": scrub, "travel_requests.form_key": keep,
	"travel_requests.number": keep, "travel_requests.purpose": text, "travel_requests.status": keep,
	"two_factor_challenges.id_hash": keep, "two_factor_challenges.kind": keep,
	"two_factor_challenges.method": keep, "two_factor_challenges.next": keep,
	"two_factor_recovery_codes.code_hash": keep, "two_factor_required_roles.role": keep,
	"two_factor_settings.required":      keep,
	"user_bank_accounts.account_holder": name, "user_bank_accounts.bic": bic, "user_bank_accounts.iban_sealed": special,
	"user_roles.role": keep, "user_two_factor.secret_sealed": keep, "user_two_factor.enrolment_holder_hash": keep,
	"users.email": email, "users.name": name, "users.password_hash": null, "users.status": keep,
	"vendor_bank_accounts.account_masked": special, "vendor_bank_accounts.account_secret": special,
	"vendor_bank_accounts.account_type": keep, "vendor_bank_accounts.bic": bic,
	"vendor_bank_accounts.holder_name": name, "vendor_bank_accounts.routing_number": routing,
	"vendor_bank_accounts.scheme": keep,
	"vendors.address":             address, "vendors.contact_name": name, "vendors.currency": keep, "vendors.email": email,
	"vendors.match_mode": keep, "vendors.name": company, "vendors.phone": phone, "vendors.status": keep,
	"vendors.tax_id": shape,
}

// textTypes are the column types that can hold text, in information_schema's words.
const textColumnsQuery = `SELECT c.table_name, c.column_name, c.data_type
	FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
	WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
	  AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'bytea', 'USER-DEFINED', 'xml')
	ORDER BY c.table_name, c.ordinal_position`
