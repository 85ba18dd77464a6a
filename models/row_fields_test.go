package models

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm/schema"
)

// TestRowFieldsFollowTheirColumns checks every row type that reads its rows straight into its
// fields (fieldsOfRow) against the columns its statements select: the n-th column must be
// the one GORM would read into the n-th field fields returns, by name. A column added to one
// and not the other, or two swapped, fails here rather than reading a value into the wrong
// field.
func TestRowFieldsFollowTheirColumns(t *testing.T) {
	for name, c := range map[string]struct {
		columns string
		row     fieldsOfRow
	}{
		"Vendor":                {vendorColumns, &Vendor{}},
		"RequisitionSummary":    {requisitionSummaryColumns, &RequisitionSummary{}},
		"PurchaseOrderRow":      {purchaseOrderRowColumns, &PurchaseOrderRow{}},
		"RequisitionDetail":     {requisitionDetailColumns, &RequisitionDetail{}},
		"RequisitionLineDetail": {requisitionLineDetailColumns, &RequisitionLineDetail{}},
		"ApprovalStepDetail":    {approvalStepDetailColumns, &ApprovalStepDetail{}},
	} {
		got := selectedNames(c.columns)
		want := fieldColumns(t, c.row)
		if !slices.Equal(got, want) {
			t.Errorf("%s selects\n  %v\nbut its fields read\n  %v", name, got, want)
		}
	}
}

var asAlias = regexp.MustCompile(`(?is)\sAS\s+([a-z_][a-z0-9_]*)\s*$`)

// selectedNames are the names of the columns of a select list: each one's alias, or the
// column's own name.
func selectedNames(list string) []string {
	var out []string
	depth, start := 0, 0
	inQuote := false
	add := func(item string) {
		item = strings.TrimSpace(item)
		if m := asAlias.FindStringSubmatch(item); m != nil {
			out = append(out, m[1])
			return
		}
		out = append(out, item[strings.LastIndex(item, ".")+1:])
	}
	for i, r := range list {
		switch {
		case r == '\'':
			inQuote = !inQuote
		case inQuote:
		case r == '(':
			depth++
		case r == ')':
			depth--
		case r == ',' && depth == 0:
			add(list[start:i])
			start = i + 1
		}
	}
	add(list[start:])
	return out
}

// fieldColumns are the columns GORM reads into the fields row.fields() returns, in order.
func fieldColumns(t *testing.T, row fieldsOfRow) []string {
	t.Helper()
	s, err := schema.Parse(row, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.ValueOf(row).Elem()
	byAddr := map[uintptr]string{}
	for _, f := range s.Fields {
		if f.DBName == "" {
			continue
		}
		byAddr[v.FieldByIndex(f.StructField.Index).Addr().Pointer()] = f.DBName
	}
	var out []string
	for _, p := range row.fields() {
		name, ok := byAddr[reflect.ValueOf(p).Pointer()]
		if !ok {
			name = "?"
		}
		out = append(out, name)
	}
	return out
}
