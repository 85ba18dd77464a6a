package audit_test

import (
	"strconv"
	"testing"
	"time"

	"outlay/internal/dbtest"
	"outlay/models"
)

// Travel requests and their legs: create, update and delete of each leave exactly one record
// with the record's id and exactly the changed columns.
func TestTravelTablesCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	owner := models.User{Email: "tess@acme.example", Name: "Tess", Status: models.UserActive}
	if err := db.Create(&owner).Error; err != nil {
		t.Fatal(err)
	}
	trip := &models.TravelRequest{TravellerID: owner.ID, FiledByID: owner.ID, Currency: "USD", Status: models.TravelDraft,
		AirfareMinor: 1000, EstimateTotalMinor: 1000}
	leg := &models.TravelLeg{Position: 1, FromPlace: "Boston", ToPlace: "Paris", DepartOn: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), Mode: models.ModeAir}

	mark := lastID(t, db)
	if err := db.Create(trip).Error; err != nil {
		t.Fatal(err)
	}
	tripID := strconv.FormatInt(trip.ID, 10)
	if rec := expectOne(t, db, mark, "travel_requests create"); rec.Action != "create" || rec.TableName != "travel_requests" || rec.RecordID != tripID {
		t.Errorf("travel_requests create recorded %s %s %q", rec.Action, rec.TableName, rec.RecordID)
	}
	mark = lastID(t, db)
	if err := db.Model(trip).Update("purpose", "Customer visit").Error; err != nil {
		t.Fatal(err)
	}
	checkChange(t, expectOne(t, db, mark, "travel_requests update"), "update", "travel_requests", tripID, "purpose", "updated_at")

	leg.TravelRequestID = trip.ID
	mark = lastID(t, db)
	if err := db.Create(leg).Error; err != nil {
		t.Fatal(err)
	}
	legID := strconv.FormatInt(leg.ID, 10)
	if rec := expectOne(t, db, mark, "travel_legs create"); rec.Action != "create" || rec.TableName != "travel_legs" || rec.RecordID != legID {
		t.Errorf("travel_legs create recorded %s %s %q", rec.Action, rec.TableName, rec.RecordID)
	}
	mark = lastID(t, db)
	if err := db.Model(leg).Update("mode", models.ModeRail).Error; err != nil {
		t.Fatal(err)
	}
	checkChange(t, expectOne(t, db, mark, "travel_legs update"), "update", "travel_legs", legID, "mode", "updated_at")

	for _, row := range []struct {
		table, id string
		v         any
	}{{"travel_legs", legID, leg}, {"travel_requests", tripID, trip}} {
		mark = lastID(t, db)
		if err := db.Delete(row.v).Error; err != nil {
			t.Fatal(err)
		}
		if rec := expectOne(t, db, mark, row.table+" delete"); rec.Action != "delete" || rec.RecordID != row.id || rec.Old == nil || rec.New != nil {
			t.Errorf("%s delete recorded %s %q", row.table, rec.Action, rec.RecordID)
		}
	}
}
