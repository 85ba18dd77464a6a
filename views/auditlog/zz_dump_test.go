package auditlog

import (
	"context"
	"os"
	"testing"
)

func TestZZDump(t *testing.T) {
	rows := []Row{{ID: 7, When: "w", Who: "who", WhoKind: "person", Kind: "update", Action: "Changed", What: "REQ-1", Object: "Requisition", Changes: []Change{{Field: "Status", Old: "a", New: "b"}}}}
	f, _ := os.Create(os.Getenv("ZZ_OUT"))
	defer f.Close()
	Entries(rows, "UTC").Render(context.Background(), f)
}
