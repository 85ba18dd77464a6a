package outlay

import "strconv"

// Kinds of documents. Approval steps, approval rules, comments, attachments and History name
// a document by its kind and id.
const (
	DocRequisition   = "requisition"
	DocPurchaseOrder = "purchase_order"
	DocTravel        = "travel"
	DocExpense       = "expense"
	DocBill          = "bill"
	DocPayment       = "payment"
)

// Kind is how people and addresses name a kind of document: the part of a kind that pages
// need. Everything else about a kind (its tables, visibility, approval, budgets) is its
// descriptor in models.
type Kind struct {
	Type  string // as stored: "requisition"
	Label string // as read: "Requisition"
	Base  string // where its pages live: "/requisitions"
}

// Where each kind's pages live: its list, and below it its form and each document's page.
// The views name their paths from these and the routes are built from the views' paths.
const (
	RequisitionsPath   = "/requisitions"
	PurchaseOrdersPath = "/purchase-orders"
	TravelPath         = "/travel"
	ExpensesPath       = "/expenses"
	BillsPath          = "/bills"
	PaymentsPath       = "/payments"
)

// Kinds are the kinds of documents, in the order people see them.
var Kinds = []Kind{
	{Type: DocRequisition, Label: "Requisition", Base: RequisitionsPath},
	{Type: DocPurchaseOrder, Label: "Purchase order", Base: PurchaseOrdersPath},
	{Type: DocTravel, Label: "Travel request", Base: TravelPath},
	{Type: DocExpense, Label: "Expense report", Base: ExpensesPath},
	{Type: DocBill, Label: "Bill", Base: BillsPath},
	{Type: DocPayment, Label: "Payment", Base: PaymentsPath},
}

// KindOf returns the kind named docType; ok is false for a kind that does not exist.
func KindOf(docType string) (k Kind, ok bool) {
	for _, k := range Kinds {
		if k.Type == docType {
			return k, true
		}
	}
	return Kind{}, false
}

// KindLabel is how people read a kind of document; an unknown kind reads as its name.
func KindLabel(docType string) string {
	if k, ok := KindOf(docType); ok {
		return k.Label
	}
	return docType
}

// Path is a document's own page.
func (k Kind) Path(id int64) string { return k.Base + "/" + strconv.FormatInt(id, 10) }

// DocumentPath is the page of a document of kind docType; an unknown kind has none ("").
func DocumentPath(docType string, id int64) string {
	if k, ok := KindOf(docType); ok {
		return k.Path(id)
	}
	return ""
}
