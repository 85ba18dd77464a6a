package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"outlay/internal/dbtest"
	"outlay/internal/testutil"
)

// A trip whose days overlap another of the traveller's is not refused: the form comes back
// with everything typed, naming the other trip with a link and a box to submit it anyway,
// and nothing is stored until the box is ticked. Its approver then reads the overlap on the
// trip's page and in the queue.
func TestTravelOverlapIsWarnedOnTheFormAndNotedForTheApprover(t *testing.T) {
	t.Parallel()
	s := newTripSite(t)
	first := s.tripForm()
	first.Set("intent", "submit")
	paris := s.save(t, s.tessC, first)
	parisPath := "/travel/" + ids(paris.ID)

	second := s.tripForm() // days 11 to 15: Paris is away from 9 to 13
	second.Set("purpose", "Supplier visit in Lyon")
	second["to"] = []string{"Lyon", "Boston"}
	second["from"] = []string{"Boston", "Lyon"}
	second["depart_on"] = []string{tripDay(11), tripDay(15)}
	second.Set("intent", "submit")
	if res := s.tessC.Post("/travel/check", second); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("the check before asking: %d, want 422 (the form is sent to show the overlap)", res.Status)
	}
	res := s.tessC.Post("/travel", second)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("an overlapping trip: %d", res.Status)
	}
	warning := res.Doc.Find("#travel-form #trip-overlaps")
	if got := warning.Text(); !strings.Contains(got, "You already have another trip on some of these days:") || !strings.Contains(got, "Paris, Boston") {
		t.Errorf("the warning reads %q", got)
	}
	if link := warning.Find(`a[href="` + parisPath + `"]`); link.Text() != "TRV-000001" {
		t.Errorf("the warning's link to the other trip: %q", link.Text())
	}
	box := warning.Find(`input[type="checkbox"][name="overlaps_confirmed"]`)
	if box.AttrOr("value", "") != ids(paris.ID) || box.AttrOr("checked", "no") != "no" {
		t.Errorf("the box that submits it anyway: value %q checked %v", box.AttrOr("value", ""), box.AttrOr("checked", "no") != "no")
	}
	if res.Doc.Find(".field-error").Length() != 0 || strings.Contains(res.Body, "Please correct the fields") {
		t.Errorf("the warning reads as a refusal: %q", res.Text(".field-error"))
	}
	if v := res.Doc.Find("#purpose").Text(); v != "Supplier visit in Lyon" {
		t.Errorf("the purpose typed: %q", v)
	}
	if v := res.Doc.Find("#leg-1-depart_on").AttrOr("value", ""); v != tripDay(15) {
		t.Errorf("the second leg's departure typed: %q", v)
	}
	if n := countRows(t, s.db(t), "travel_requests"); n != 1 {
		t.Errorf("%d trips stored before the overlap was confirmed", n)
	}

	// Ticked, it is submitted.
	second.Set("overlaps_confirmed", ids(paris.ID))
	if res := s.tessC.Post("/travel/check", second); res.Status != http.StatusNoContent {
		t.Errorf("the check of the confirmed trip: %d", res.Status)
	}
	lyon := s.save(t, s.tessC, second)
	lyonPath := "/travel/" + ids(lyon.ID)

	// Mo reads on its page and in his queue that Tess has another trip on those days.
	page := s.moC.Get(lyonPath)
	note := page.Doc.Find("#trip-overlaps")
	if !strings.Contains(note.Text(), "Tess Traveller has another trip on some of the same days:") ||
		note.Find(`a[href="`+parisPath+`"]`).Text() != "TRV-000001" || !strings.Contains(note.Text(), "Pending approval") {
		t.Errorf("the trip's page notes %q", note.Text())
	}
	details := approvalGet(s.moC, stepURL(s.pendingStep(t, lyon.ID).ID, ""))
	if got := details.Text(".trip-panel #trip-overlaps"); !strings.Contains(got, "TRV-000001") {
		t.Errorf("the queue's details note %q", got)
	}
	// Paris's page names Lyon in turn; once Lyon is withdrawn, neither names the other.
	if got := s.moC.Get(parisPath).Text("#trip-overlaps"); !strings.Contains(got, "TRV-000002") {
		t.Errorf("the other trip's page notes %q", got)
	}
	if res := s.tessC.Post(lyonPath+"/withdraw", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", res.Status)
	}
	if n := s.moC.Get(parisPath).Doc.Find("#trip-overlaps").Length(); n != 0 {
		t.Error("a withdrawn trip is still noted as overlapping")
	}
}

// Two trips of one traveller on the same days, submitted at the same moment (Tess files one,
// Asa, the admin, files the other for her), do not both go through unwarned: the second to
// check sees the first. Both are held after storing their trip (their legs wait on a lock the
// test holds) and let go together. Before, each checked for overlaps while the other's trip
// was not yet committed, and both were submitted without a warning.
func TestOverlappingTripsSubmittedAtOnceWarnOnce(t *testing.T) {
	t.Parallel()
	s := newTripSite(t, func(env *testutil.Env) {
		env.Pools.LockWait = -1 // the submissions wait on the test's lock however busy the machine
	})
	ctx := context.Background()
	hold, holder := dbtest.HoldLock(t, s.acme.DSN, "travel_legs")
	answered := make(chan *testutil.Response, 2)
	for _, c := range []*testutil.Client{s.tessC, s.asaC} {
		f := s.tripForm()
		f.Set("traveller", ids(s.tess.ID))
		f.Set("intent", "submit")
		go func() { answered <- c.Post("/travel", f) }()
	}
	conn, err := pgx.Connect(ctx, s.acme.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	dbtest.WaitFor(t, 30*time.Second, "both submissions held with their trip stored", func() bool {
		var waiting int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND pid <> $1 AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO "travel_legs"%'`, holder).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		return waiting == 2
	})
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var submitted, warned int
	for range 2 {
		switch res := <-answered; {
		case res.Status == http.StatusSeeOther:
			submitted++
		case res.Status == http.StatusUnprocessableEntity && res.Doc.Find("#travel-form #trip-overlaps").Length() == 1:
			warned++
		default:
			t.Errorf("a submission answered %d %q", res.Status, res.Text(".field-error, .flash"))
		}
	}
	if submitted != 1 || warned != 1 {
		t.Errorf("%d submitted and %d warned of the other trip, want one of each", submitted, warned)
	}
	if n := countRows(t, s.db(t), "travel_requests"); n != 1 {
		t.Errorf("%d trips stored, want the one submitted", n)
	}
}
