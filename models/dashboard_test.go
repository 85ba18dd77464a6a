package models_test

import (
	"testing"
	"time"

	"outlay/models"
)

// TestDashboardToOrderCountsTheApprovedRequisitionsTheViewerSees counts the buyer's card over
// 10,000 requisitions, 7,000 of them approved, for viewers who see them differently: all of
// them with the kind's SeeAll; otherwise their own and those whose route named them (here,
// the requisitions of the person before them, whose steps they approved). Each figure is the
// one the requisition lists' scope (VisibleRequisitions) counts.
func TestDashboardToOrderCountsTheApprovedRequisitionsTheViewerSees(t *testing.T) {
	t.Parallel()
	db, max := queueVolumeTenant(t)
	var person int64 // approves the requisitions of the person before them
	if err := db.Raw(`SELECT id FROM users WHERE email = 'person50@acme.example'`).Scan(&person).Error; err != nil || person == 0 {
		t.Fatalf("person50: %d, %v", person, err)
	}
	count := func(sql string, args ...any) int {
		var n int
		if err := db.Raw(sql, args...).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	approved := `SELECT count(*) FROM requisitions WHERE status = 'approved'`
	for name, c := range map[string]struct {
		v    models.Viewer
		want int
	}{
		"sees all":          {models.Viewer{UserID: person, Roles: []string{"approver"}, SeeAllKinds: []string{models.DocRequisition}}, count(approved)},
		"own and routed":    {models.Viewer{UserID: person, Roles: []string{"approver"}}, count(approved+` AND requester_id IN (?, ?)`, person, person-1)},
		"routed, no role":   {models.Viewer{UserID: person}, count(approved+` AND requester_id IN (?, ?)`, person, person-1)},
		"nothing routed":    {models.Viewer{UserID: max.ID, Roles: []string{"approver"}}, 0},
		"sees all, no role": {models.Viewer{UserID: max.ID, SeeAllKinds: []string{models.DocRequisition}}, count(approved)},
	} {
		sum, err := models.Dashboard(t.Context(), db, c.v, models.DashboardCards{ToOrder: true}, time.Now())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var listed int64
		if err := db.Model(&models.Requisition{}).Scopes(models.VisibleRequisitions(c.v)).
			Where("requisitions.status = ?", models.RequisitionApproved).Count(&listed).Error; err != nil {
			t.Fatal(err)
		}
		if c.want == 0 && name != "nothing routed" {
			t.Fatalf("%s: the seed has no such requisitions", name)
		}
		if sum.ToOrder != c.want || int64(sum.ToOrder) != listed {
			t.Errorf("%s: to order %d, want %d (the lists' scope counts %d)", name, sum.ToOrder, c.want, listed)
		}
	}
}
