package approvals

import (
	"context"
	"io"
	"strconv"
	"testing"
)

// BenchmarkQueuePage renders a page of 25 waiting requests with their decide forms, as
// /approvals does for an approver.
func BenchmarkQueuePage(b *testing.B) {
	q := Queue{CSRF: "k3JxQ2lT0mB1c8a9Zy7Vw6Uu5Ts4Rr3Qq2Pp1Oo0Nn", Filter: Filter{Page: 2}, Total: 1500, Count: 1500, Pages: 60,
		CanApprove: true, CanDelegate: true, DocTypes: []Option{{Value: "requisition", Label: "Requisition"}, {Value: "bill", Label: "Bill"}},
		Departments: []Option{{Value: "1", Label: "Engineering"}, {Value: "2", Label: "Sales"}}}
	for i := range 25 {
		q.Rows = append(q.Rows, Row{StepID: int64(9000 + i), DocType: "requisition", DocID: int64(100 + i), Number: "REQ-00" + strconv.Itoa(1000+i),
			Requester: "Rita Requester", Department: "Engineering", Vendor: "Vendor " + strconv.Itoa(i), Total: "$1,234.50",
			Submitted: "3 Dec 2026", Step: "Step 1 of 2"})
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := QueuePage(q).Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
