package models_test

import (
	"context"
	"sync"
	"testing"

	"gorm.io/gorm"

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
	// The statement's text depends on the tables looked up, not on how many ids each has:
	// one id or three, it is the same statement, prepared once per connection.
	var mu sync.Mutex
	var sent []string
	if err := db.Callback().Row().After("*").Register("test:texts", func(tx *gorm.DB) {
		mu.Lock()
		sent = append(sent, tx.Statement.SQL.String())
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	for _, ids := range [][]int64{{bo.ID}, {bo.ID, 999999, 1}} {
		names, err := models.ReferenceNames(context.Background(), db, map[string][]int64{"users": ids, "gl_accounts": {gl.ID}})
		if err != nil || names["users"][bo.ID].Name != "Bo Buyer" || names["gl_accounts"][gl.ID].Name != "6000 Software" {
			t.Fatalf("%d ids: %v, %v", len(ids), names, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 2 || sent[0] != sent[1] {
		t.Errorf("one id and three sent different statements:\n%q", sent)
	}
}
