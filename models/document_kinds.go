package models

import (
	"gorm.io/gorm"
	"time"

	"outlay"
	"outlay/policy"
)

// DocumentKind describes one kind of document: everything the shared machinery (the approvals
// queue, step details, budgets, visibility, comments and attachments, History, the dashboard)
// needs to know of it. A new kind is one entry in documentKinds plus its own files.
type DocumentKind struct {
	// Kind is its type as stored, its label and the path its pages live under.
	outlay.Kind
	// Table holds the documents; its id column is what steps, comments and attachments name.
	Table string
	// Read lets a role open documents of the kind at all (the routes' permission).
	Read policy.Permission
	// Visibility says which of those documents a person sees.
	Visibility Visibility
	// SeeAll lets a role see every submitted document of the kind (VisibleToOwnerAndRoute).
	SeeAll policy.Permission
	// OwnerColumn names the person a document belongs to (VisibleToOwnerAndRoute).
	OwnerColumn string
	// FilerColumn, when set, names a second person the document belongs to for visibility:
	// whoever filed it for its owner (VisibleToOwnerAndRoute).
	FilerColumn string
	// DraftStatus is the status of a document its owner has not yet submitted: nobody else
	// sees it (VisibleToOwnerAndRoute).
	DraftStatus string
	// Origin is the document another is made from, whose owner may read what was made of it
	// (VisibleToReadersAndOriginOwner): a column of the table naming a document of the kind
	// Origin.Type.
	Origin Origin
	// OpenStatuses are the owner's documents still in play, which the dashboard counts;
	// OpenCondition, when set, narrows them further (an SQL condition on the kind's row).
	OpenStatuses  []string
	OpenCondition string

	// Approval routes the kind through approval rules; nil for a kind that is not approved.
	Approval approvable
	// Queue is how a document of the kind appears in the approvals queue (Approval set).
	Queue QueueColumns
	// Details lists a document's lines for its approver (Approval set).
	Details func(tx *gorm.DB, id int64) ([]DetailLine, error)

	// Budget is what the kind's documents take from the budgets ids: one BudgetUse per
	// document and budget (the value spent and the value committed, in the budget's
	// currency), leaving out the document doc (the one being checked); nil for none.
	Budget func(tx *gorm.DB, ids []int64, doc ApprovalDocument) ([]BudgetUse, error)
	// BudgetDay is the day by which Budget counts a document in a budget's period, when it
	// is not the day it is decided (a bill's invoice date); nil: the day it is decided.
	BudgetDay func(tx *gorm.DB, id int64) (time.Time, error)
	// Committed is how the spend report reads what the kind's documents commit before any
	// order is made, as Budget counts it; nil for none.
	Committed *CommittedSpend
	// Spent is what the kind spends without an order, as the spend report's spent stage
	// reads it (paid expense reports); nil for none.
	Spent *CommittedSpend

	// History names the kind's tables for its History page.
	History DocumentHistory

	// Participants names a document as notifications do (number, requester, total) and lists
	// the people taking part in it, who are told of its comments. When nil, an approvable
	// kind's are read from its Queue columns: its requester (and FilerColumn), its route and
	// its commenters (see TakingPart).
	Participants func(tx *gorm.DB, id int64) (ApprovalDocument, []int64, error)
}

// Visibility is who sees documents of a kind, among those whose roles may read the kind.
type Visibility int

const (
	// VisibleToReaders: everyone whose roles may read the kind sees every document of it.
	VisibleToReaders Visibility = iota
	// VisibleToOwnerAndRoute: the owner sees theirs, drafts included; anyone else sees a
	// submitted document routed to them, or every submitted one with the kind's SeeAll.
	VisibleToOwnerAndRoute
	// VisibleToReadersAndOriginOwner: those with the kind's SeeAll see every document of it;
	// anyone else sees those made from a document of theirs (Origin), read-only.
	VisibleToReadersAndOriginOwner
)

// Origin names the document a document was made from.
type Origin struct {
	Type   string // its kind
	Column string // the column of the made document holding its id
}

// QueueColumns are SQL expressions over the document's row (alias d) and the joins in From,
// giving what the approvals queue shows of a document.
type QueueColumns struct {
	From         string // joins the other columns need, such as the vendor
	Number       string
	Requester    string // who asked: a users.id
	Department   string // a departments.id, or NULL
	Counterparty string // the vendor, merchant or destination
	Summary      string // why: the justification or purpose
	Currency     string
	Total        string // in the currency's minor units
	SubmittedAt  string
}

// DocumentHistory names the tables whose audit records make up a document's History.
type DocumentHistory struct {
	LinesTable  string   // the document's lines
	LinesKey    string   // the column of a line (and of MoreRelated rows) that holds the document's id
	MoreRelated []string // further tables whose rows point at the document by LinesKey
	// LineLabel and LineDescription are SQL expressions over a line naming it for History
	// ("Line 2", ": Desk"); empty, a line is "Line <position>: <description>".
	LineLabel, LineDescription string
	// NameSQL names documents of the kind for History ("REQ-000012"), with their currency:
	// it selects id, name and currency for the ids in its one parameter.
	NameSQL string
}

// documentKinds are the kinds of documents, in the order people see them.
var documentKinds = []*DocumentKind{
	{
		Kind:         mustKind(outlay.DocRequisition),
		Table:        "requisitions",
		Read:         policy.Permission{Object: outlay.ObjRequisitions, Action: outlay.ActRead},
		Visibility:   VisibleToOwnerAndRoute,
		SeeAll:       policy.Permission{Object: outlay.ObjRequisitionsAll, Action: outlay.ActRead},
		OwnerColumn:  "requester_id",
		DraftStatus:  RequisitionDraft,
		OpenStatuses: openRequisitionStatuses,
		Approval:     requisitionApproval{},
		Queue: QueueColumns{
			From:   "LEFT JOIN vendors vd ON vd.id = d.vendor_id",
			Number: "COALESCE(d.number, '')", Requester: "d.requester_id", Department: "d.department_id",
			Counterparty: "COALESCE(vd.name, '')", Summary: "d.justification",
			Currency: "d.currency", Total: "d.total_minor", SubmittedAt: "d.submitted_at",
		},
		Details:      requisitionDetails,
		Budget:       requisitionBudgetUse,
		Participants: requisitionParticipants,
		Committed: &CommittedSpend{From: "requisitions r JOIN requisition_lines l ON l.requisition_id = r.id",
			Where: "r.status = '" + RequisitionApproved + "'", Department: "r.department_id", Vendor: "r.vendor_id",
			GLAccount: "l.gl_account_id", At: "r.decided_at", Currency: "r.currency", Amount: "l.amount_minor + l.tax_minor",
			Location: "r.location_id"},
		History: DocumentHistory{LinesTable: "requisition_lines", LinesKey: "requisition_id",
			NameSQL: "SELECT id, coalesce(number, 'Draft #' || id) AS name, currency FROM requisitions WHERE id = ANY(?)"},
	},
	{
		Kind:         mustKind(outlay.DocPurchaseOrder),
		Table:        "purchase_orders",
		Read:         policy.Permission{Object: outlay.ObjPurchaseOrders, Action: outlay.ActRead},
		Visibility:   VisibleToReadersAndOriginOwner,
		SeeAll:       policy.Permission{Object: outlay.ObjPurchaseOrders, Action: outlay.ActRead},
		Origin:       Origin{Type: outlay.DocRequisition, Column: "requisition_id"},
		Budget:       purchaseOrderBudgetUse,
		Participants: purchaseOrderParticipants,
		History: DocumentHistory{LinesTable: "purchase_order_lines", LinesKey: "purchase_order_id", MoreRelated: []string{"receipts"},
			NameSQL: "SELECT id, number AS name, currency FROM purchase_orders WHERE id = ANY(?)"},
	},
	travelKind,
	expenseKind,
	billKind,
	paymentKind,
}

func mustKind(docType string) outlay.Kind {
	k, ok := outlay.KindOf(docType)
	if !ok {
		panic("models: no kind " + docType + " in outlay.Kinds")
	}
	return k
}

// DocumentKinds lists every kind of document, in the order people see them.
func DocumentKinds() []*DocumentKind { return documentKinds }

// FindDocumentKind returns the kind named docType.
func FindDocumentKind(docType string) (*DocumentKind, bool) {
	for _, k := range documentKinds {
		if k.Type == docType {
			return k, true
		}
	}
	return nil, false
}

// ApprovableKinds are the kinds approval rules can route, in the order people see them.
func ApprovableKinds() []*DocumentKind {
	var out []*DocumentKind
	for _, k := range documentKinds {
		if k.Approval != nil {
			out = append(out, k)
		}
	}
	return out
}

// RecordHistory is what History reads for the document of this kind with id.
func (k *DocumentKind) RecordHistory(id string) RecordHistory {
	return RecordHistory{Table: k.Table, RecordID: id, RelatedTable: k.History.LinesTable, RelatedKey: k.History.LinesKey,
		MoreRelated: k.History.MoreRelated, DocType: k.Type}
}

// visible limits a query on the kind's table to the documents the viewer may see. Every read
// of a document goes through it, so another person's document is simply not found.
func (k *DocumentKind) visible(v Viewer) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		if cond, args := k.visibleCondition(v); cond != "" {
			return db.Where(cond, args)
		}
		return db
	}
}

// listScope limits a list of the kind to what the viewer sees of it: with mine, their own
// documents (ownedByMe), drafts included; otherwise the submitted documents they see. A
// person sees every document of their own (visibleCondition's first way in), so their own
// are read by that condition alone: the other ways in would only make the list's statement,
// and its plan, depend on the viewer's roles and routes.
func (k *DocumentKind) listScope(v Viewer, mine bool) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		if mine {
			if k.Visibility != VisibleToOwnerAndRoute {
				db = db.Scopes(k.visible(v))
			}
			return db.Where(k.ownedBy(opaqueID("@me")), map[string]any{"me": v.UserID})
		}
		return db.Scopes(k.visible(v)).Where(k.Table+".status <> ?", k.DraftStatus)
	}
}

// visibleCondition is visible's condition on the kind's table, with its named arguments (me,
// viewer_roles), or "" when the viewer sees every document of the kind. Statements written
// whole (the dashboard's) use it as it is, so that they limit the table exactly as visible does.
func (k *DocumentKind) visibleCondition(v Viewer) (string, map[string]any) {
	switch {
	case k.Visibility == VisibleToReaders:
		return "", nil
	case k.Visibility == VisibleToReadersAndOriginOwner && v.SeeAllOf(k.Type):
		return "", nil
	case k.Visibility == VisibleToReadersAndOriginOwner:
		o, _ := FindDocumentKind(k.Origin.Type)
		return "EXISTS (SELECT 1 FROM " + o.Table + " o WHERE o.id = " + k.Table + "." + k.Origin.Column +
			" AND o." + o.OwnerColumn + " = @me)", map[string]any{"me": v.UserID}
	}
	mine, draft := k.ownedByMe(), k.Table+".status <> '"+k.DraftStatus+"'"
	if v.SeeAllOf(k.Type) {
		return mine + " OR " + draft, map[string]any{"me": v.UserID}
	}
	routed, args := routedTo(v, k.Type, k.Table+".id")
	args["me"] = v.UserID
	return mine + " OR (" + draft + " AND " + routed + ")", args
}

// ownedByMe is the condition "the document is @me's own: they own it or filed it", which
// shows it to them whatever else their roles allow (VisibleToOwnerAndRoute).
func (k *DocumentKind) ownedByMe() string { return k.ownedBy("@me") }

// ownedBy is ownedByMe with the person written as me (a parameter, or opaqueID's subquery).
func (k *DocumentKind) ownedBy(me string) string {
	mine := k.Table + "." + k.OwnerColumn + " = " + me
	if k.FilerColumn != "" {
		mine = "(" + mine + " OR " + k.Table + "." + k.FilerColumn + " = " + me + ")"
	}
	return mine
}

// requisitionDetails lists a requisition's lines with their GL accounts' codes.
func requisitionDetails(tx *gorm.DB, id int64) ([]DetailLine, error) {
	var out []DetailLine
	err := tx.Raw(`SELECT l.*, COALESCE(g.code, '') AS gl_code FROM requisition_lines l
		LEFT JOIN gl_accounts g ON g.id = l.gl_account_id WHERE l.requisition_id = ? ORDER BY l.position`, id).
		Scan(&out).Error
	return out, err
}

// requisitionBudgetUse: approved requisitions not yet ordered commit their lines, tax
// included, from the day they were approved.
func requisitionBudgetUse(tx *gorm.DB, ids []int64, doc ApprovalDocument) ([]BudgetUse, error) {
	var self int64 // the requisition being checked counts as itself, not as committed
	if doc.Type == outlay.DocRequisition {
		self = doc.ID
	}
	var out []BudgetUse
	err := tx.Raw(`SELECT b.id AS budget_id, r.id AS doc_id, COALESCE(r.number, '') AS number, r.status,
			SUM(l.amount_minor + l.tax_minor) AS committed
		FROM budgets b
		JOIN requisitions r ON r.department_id = b.department_id AND r.currency = b.currency
		JOIN requisition_lines l ON l.requisition_id = r.id AND l.gl_account_id = b.gl_account_id
		WHERE b.id IN ? AND r.status = ? AND r.decided_at::date BETWEEN b.period_start AND b.period_end AND r.id <> ?
		GROUP BY b.id, r.id ORDER BY b.id, r.id`, ids, RequisitionApproved, self).Scan(&out).Error
	for i := range out {
		out[i].DocType = outlay.DocRequisition
	}
	return out, err
}

// purchaseOrderBudgetUse: orders spend what was received and commit what is still to come.
func purchaseOrderBudgetUse(tx *gorm.DB, ids []int64, _ ApprovalDocument) ([]BudgetUse, error) {
	return orderedValue(tx, ids)
}
