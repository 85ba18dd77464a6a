package auditlog

import (
	"context"
	"io"
	"strconv"
	"testing"
)

// BenchmarkEntries renders a page of 50 audit entries, each a changed requisition with two
// changed fields, as /audit does.
func BenchmarkEntries(b *testing.B) {
	kinds := []string{"create", "update", "delete", "event"}
	var rows []Row
	for i := range 50 {
		rows = append(rows, Row{ID: int64(100000 - i), When: "4 Dec 2026 18:30:0" + strconv.Itoa(i%10), Who: "finance@bench.example", WhoKind: "person",
			Kind: kinds[i%4], Action: "Changed", What: "REQ-00" + strconv.Itoa(6000+i), Object: "Requisition", RequestID: "req-" + strconv.Itoa(i), IP: "127.0.0.1",
			Changes: []Change{{Field: "Status", Old: "Pending", New: "Approved"}, {Field: "Total", Old: "$1,030.50", New: "$1,130.50"}}})
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := Entries(rows, "UTC").Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
