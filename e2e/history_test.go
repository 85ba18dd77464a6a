package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
	"outlay/models"
)

// A requisition's History reads as sentences in the browser: the records by name, statuses by
// label, times in the organisation's zone; on a phone nothing scrolls sideways.
func TestHistoryReadsAsSentencesInTheBrowser(t *testing.T) {
	s := startSite(t)
	ctx, db := context.Background(), s.App.DB(t, s.Tenant)
	rita := s.App.CreateUser(t, s.Tenant, "rita@acme.example", "Rita Requester", "requester")
	max := s.App.CreateUser(t, s.Tenant, "max@acme.example", "Max Manager", "approver")
	p := testutil.ApprovedRequisition(t, db, rita.ID, "", testutil.OrderLine{Description: "Standing desk", Quantity: "2", UnitPrice: 48000})
	step := models.ApprovalStep{DocType: models.DocRequisition, DocID: p.Requisition.ID, Round: 1, Position: 1, Kind: "user", ApproverID: &max.ID, Status: "approved"}
	if err := db.Create(&step).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := models.CreatePurchaseOrder(ctx, db, models.Viewer{UserID: rita.ID, Roles: []string{"admin"}, SeeAllKinds: []string{models.DocRequisition}}, p.Requisition.ID); err != nil {
		t.Fatal(err)
	}
	if err := models.UpdateSettings(ctx, db, models.SettingsInput{DefaultCurrency: "USD", TimeZone: "Europe/Berlin"}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	path := fmt.Sprintf("/requisitions/%d/history", p.Requisition.ID)
	number := *p.Requisition.Number

	b.viewport(desktopWidth, 900)
	b.do(chromedp.Navigate(s.URL(path)), chromedp.WaitVisible(chromedp.CSS("table.audit-table")))
	got := b.text("table.audit-table")
	for _, want := range []string{"When (Europe/Berlin)", "Step 1 of " + number + " (Max Manager)", "Line 1 of " + number + ": Standing desk", "Ordered"} {
		if !strings.Contains(strings.ToLower(got), strings.ToLower(want)) { // headings are shown in capitals
			t.Errorf("History lacks %q: %q", want, got)
		}
	}
	b.screenshot("desktop")

	b.viewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	b.do(chromedp.Navigate(s.URL(path)), chromedp.WaitVisible(chromedp.CSS("table.audit-table")))
	if eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Error("History scrolls sideways on a phone")
	}
	b.screenshot("phone")
}
