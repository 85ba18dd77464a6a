package models_test

import (
	"strings"
	"testing"
	"time"

	"outlay/internal/dbtest"
	"outlay/models"
)

// TestTripOverlapsReadOnlyTheTravellersTripsFromItsDays reads the plan (EXPLAIN ANALYZE) of
// the statement that finds the trips a new trip overlaps, for a traveller with 2,000 trips
// over ten years among 20,000: it reads their trips by traveller and last day, so that it
// reads none of the years before the trip, and no trip of anyone else's.
func TestTripOverlapsReadOnlyTheTravellersTripsFromItsDays(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	tess := env.CreateUser(t, acme, "tess@acme.example", "Tess Traveller", "requester")
	cole := env.CreateUser(t, acme, "cole@acme.example", "Cole Colleague", "requester")
	if err := db.Exec(`INSERT INTO travel_requests (number, traveller_id, filed_by_id, purpose, currency, destinations, first_day, last_day, status, submitted_at)
			SELECT 'TRV-' || lpad(i::text, 6, '0'), CASE WHEN i % 10 = 0 THEN CAST(@tess AS bigint) ELSE CAST(@cole AS bigint) END, CASE WHEN i % 10 = 0 THEN CAST(@tess AS bigint) ELSE CAST(@cole AS bigint) END,
				'Visit ' || i, 'USD', 'Paris', current_date - i % 3650 - 4, current_date - i % 3650,
				(ARRAY['submitted', 'approved', 'rejected', 'withdrawn'])[1 + i / 10 % 4], now()
			FROM generate_series(1, 20000) i`, map[string]any{"tess": tess.ID, "cole": cole.ID}).Error; err != nil {
		t.Fatalf("seed: %v", err)
	}
	if err := db.Exec(`ANALYZE travel_requests`).Error; err != nil {
		t.Fatal(err)
	}
	first, last := time.Now().UTC().AddDate(0, 0, 10).Truncate(24*time.Hour), time.Now().UTC().AddDate(0, 0, 14).Truncate(24*time.Hour)
	sql, args := models.TripOverlapsQuery(models.Viewer{UserID: tess.ID, Roles: []string{"requester"}},
		models.TravelRequest{ID: 0, TravellerID: tess.ID, FirstDay: &first, LastDay: &last})
	var plan string
	if err := models.NamedRaw(db, "EXPLAIN (ANALYZE, FORMAT JSON) "+sql, args).Row().Scan(&plan); err != nil {
		t.Fatalf("explain: %v", err)
	}
	if !strings.Contains(plan, `"Index Name": "travel_requests_traveller_days_idx"`) {
		t.Errorf("the traveller's trips are not read by traveller and last day:\n%s", plan)
	}
	for _, root := range planRoots(t, plan) {
		if n := rowsRead(root, "travel_requests"); n > 20 {
			t.Errorf("%v trips read to find the overlaps of a trip ahead of all the traveller's others:\n%s", n, plan)
		}
	}
}
