package models_test

import (
	"context"
	"testing"

	"outlay/internal/dbtest"
	"outlay/models"
)

// ReferenceNames finds each referenced record's name with one query per table, names GL
// accounts by code and name, and leaves out records that are gone and tables it does not know.
func TestReferenceNames(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	bo := env.CreateUser(t, acme, "bo@acme.example", "Bo Buyer", "requester")
	gl := models.GLAccount{Code: "6000", Name: "Software"}
	if err := db.Create(&gl).Error; err != nil {
		t.Fatal(err)
	}
	names, err := models.ReferenceNames(context.Background(), db, map[string][]int64{
		"users": {bo.ID, 999999}, "gl_accounts": {gl.ID}, "casbin_rule": {1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if names["users"][bo.ID].Name != "Bo Buyer" || names["gl_accounts"][gl.ID].Name != "6000 Software" {
		t.Errorf("names %v", names)
	}
	if _, ok := names["users"][999999]; ok {
		t.Error("a user that does not exist has a name")
	}
	if _, ok := names["casbin_rule"]; ok {
		t.Error("an unknown table was queried")
	}
}
