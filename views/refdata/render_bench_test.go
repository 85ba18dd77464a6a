package refdata

import (
	"context"
	"io"
	"strconv"
	"testing"
)

// BenchmarkResults renders a page of 50 vendors with their edit and archive buttons, as
// /vendors does.
func BenchmarkResults(b *testing.B) {
	l := List{Title: "Vendors", Noun: "vendor", Plural: "vendors", CSRF: "k3JxQ2lT0mB1c8a9Zy7Vw6Uu5Ts4Rr3Qq2Pp1Oo0Nn", CanUpdate: true,
		Filter: Filter{Path: "/vendors", Page: 3}, Columns: []string{"Name", "Contact", "Email", "Tax ID"}, Total: 5000}
	for i := range 50 {
		id := int64(100 + i)
		l.Rows = append(l.Rows, Row{ID: id, Name: "Vendor " + strconv.Itoa(i), Archived: i%10 == 0, Cells: []Cell{
			{Text: "Vendor " + strconv.Itoa(i), Href: ItemPath("/vendors", id)}, {Text: "Pat Contact"},
			{Text: "ap" + strconv.Itoa(i) + "@vendor.example"}, {Text: "DE" + strconv.Itoa(100000+i)},
		}})
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := Results(l).Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
