// Package testutil runs the real web app over a test deployment for handler and browser
// tests; the database helpers it builds on are dbtest's, named here too.
package testutil

import "outlay/internal/dbtest"

// Password is the password of users made by CreateUser.
const Password = dbtest.Password

// The database helpers (see dbtest).
type (
	Env             = dbtest.Env
	Requisition     = dbtest.Requisition
	RequisitionLine = dbtest.RequisitionLine
	OrderLine       = dbtest.OrderLine
	Purchase        = dbtest.Purchase
	SyncBuffer      = dbtest.SyncBuffer
)

// The database helpers (see dbtest).
var (
	Main                = dbtest.Main
	ServerDSN           = dbtest.ServerDSN
	ControlExec         = dbtest.ControlExec
	TemplateDatabase    = dbtest.TemplateDatabase
	NewEnv              = dbtest.NewEnv
	NewTenant           = dbtest.NewTenant
	TestConfig          = dbtest.TestConfig
	DropDatabases       = dbtest.DropDatabases
	CreateRequisition   = dbtest.CreateRequisition
	SubmitRequisition   = dbtest.SubmitRequisition
	ApprovedRequisition = dbtest.ApprovedRequisition
)
