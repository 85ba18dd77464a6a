package audit_test

import (
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"outlay/audit"
	"outlay/internal/dbtest"
	"outlay/models"
)

type auditDepartment struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (auditDepartment) TableName() string { return "departments" }

type auditProvider struct {
	ID                 int64
	Name               string
	Kind               string
	Label              string
	Issuer             string
	ClientID           string
	ClientSecretSealed []byte
	AllowedDomains     string
}

func (auditProvider) TableName() string { return "sso_providers" }

type auditIdentity struct {
	ID       int64
	UserID   int64
	Provider string
	Subject  string
	Email    string
}

func (auditIdentity) TableName() string { return "sso_identities" }

type auditSettings struct {
	ID         int
	RequireSSO bool `gorm:"column:require_sso"`
}

func (auditSettings) TableName() string { return "sso_settings" }

// Create, update and delete of each table added after the first ones leave exactly one
// record each, with the right record id, the actor, and secrets redacted.
func TestMoreTablesCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme).WithContext(asUser())
	owner := models.User{Email: "bo@acme.example", Name: "Bo", Status: models.UserActive}
	if err := db.Create(&owner).Error; err != nil {
		t.Fatal(err)
	}
	provider := auditProvider{Name: "okta", Kind: "oidc", Label: "Okta", Issuer: "https://login.example", ClientID: "abc", ClientSecretSealed: []byte("sealed-secret")}

	type step func(db *gorm.DB) error
	cases := []struct {
		table   string
		create  func(db *gorm.DB) (string, error)
		update  step
		changed []string
		remove  step
		secret  string // a column whose values must be redacted
	}{
		{
			table: "departments",
			create: func(db *gorm.DB) (string, error) {
				d := auditDepartment{Name: "Finance"}
				err := db.Create(&d).Error
				return strconv.FormatInt(d.ID, 10), err
			},
			update: func(db *gorm.DB) error {
				return db.Model(&auditDepartment{}).Where("name = ?", "Finance").Update("name", "Treasury").Error
			},
			changed: []string{"name", "updated_at"},
			remove:  func(db *gorm.DB) error { return db.Where("name = ?", "Treasury").Delete(&auditDepartment{}).Error },
		},
		{
			table: "casbin_rule",
			create: func(db *gorm.DB) (string, error) {
				r := models.PolicyRule{Ptype: "p", V0: "requester", V1: "admin.users", V2: "read"}
				err := db.Create(&r).Error
				return strconv.FormatInt(r.ID, 10), err
			},
			update: func(db *gorm.DB) error {
				return db.Model(&models.PolicyRule{}).Where("v0 = 'requester' AND v1 = 'admin.users'").Update("v2", "update").Error
			},
			changed: []string{"v2"},
			remove: func(db *gorm.DB) error {
				return db.Where("v0 = 'requester' AND v1 = 'admin.users'").Delete(&models.PolicyRule{}).Error
			},
		},
		{
			table: "api_tokens",
			create: func(db *gorm.DB) (string, error) {
				tok := models.APIToken{UserID: owner.ID, Name: "ci", TokenHash: []byte("digest"), CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
				err := db.Create(&tok).Error
				return strconv.FormatInt(tok.ID, 10), err
			},
			update: func(db *gorm.DB) error {
				return db.Model(&models.APIToken{}).Where("name = ?", "ci").Update("name", "ci sync").Error
			},
			changed: []string{"name"},
			remove:  func(db *gorm.DB) error { return db.Where("name = ?", "ci sync").Delete(&models.APIToken{}).Error },
			secret:  "token_hash",
		},
		{
			table: "sso_providers",
			create: func(db *gorm.DB) (string, error) {
				err := db.Create(&provider).Error
				return strconv.FormatInt(provider.ID, 10), err
			},
			update: func(db *gorm.DB) error {
				return db.Model(&auditProvider{}).Where("name = ?", "okta").Update("label", "Okta SSO").Error
			},
			changed: []string{"label"},
			remove:  nil, // deleted after its identity, below
			secret:  "client_secret_sealed",
		},
		{
			table: "sso_identities",
			create: func(db *gorm.DB) (string, error) {
				id := auditIdentity{UserID: owner.ID, Provider: "okta", Subject: "00u1", Email: "bo@acme.example"}
				err := db.Create(&id).Error
				return strconv.FormatInt(id.ID, 10), err
			},
			update: func(db *gorm.DB) error {
				return db.Model(&auditIdentity{}).Where("subject = ?", "00u1").Update("email", "bob@acme.example").Error
			},
			changed: []string{"email"},
			remove:  func(db *gorm.DB) error { return db.Where("subject = ?", "00u1").Delete(&auditIdentity{}).Error },
		},
		{
			table: "sso_settings",
			create: func(db *gorm.DB) (string, error) {
				if err := db.Where("id = 1").Delete(&auditSettings{}).Error; err != nil {
					return "", err
				}
				mark := lastID(t, db)
				err := db.Create(&auditSettings{ID: 1}).Error
				if recs := since(t, db, mark); len(recs) != 1 {
					t.Errorf("sso_settings create: %d records", len(recs))
				}
				return "1", err
			},
			update: func(db *gorm.DB) error {
				return db.Model(&auditSettings{}).Where("id = 1").Update("require_sso", true).Error
			},
			changed: []string{"require_sso"},
			remove:  func(db *gorm.DB) error { return db.Where("id = 1").Delete(&auditSettings{}).Error },
		},
	}
	var providerID string
	for _, tc := range cases {
		mark := lastID(t, db)
		id, err := tc.create(db)
		if err != nil {
			t.Fatalf("%s create: %v", tc.table, err)
		}
		if tc.table == "sso_settings" {
			mark = lastID(t, db) - 1
		}
		rec := expectOne(t, db, mark, tc.table+" create")
		if rec.Action != "create" || rec.TableName != tc.table || rec.RecordID != id {
			t.Errorf("%s create recorded %s %s %q, want record %q", tc.table, rec.Action, rec.TableName, rec.RecordID, id)
		}
		checkActor(t, rec)
		if tc.secret != "" && value(t, rec, false, tc.secret) != audit.Redacted {
			t.Errorf("%s: %s stored as %v", tc.table, tc.secret, value(t, rec, false, tc.secret))
		}
		mark = lastID(t, db)
		if err := tc.update(db); err != nil {
			t.Fatalf("%s update: %v", tc.table, err)
		}
		rec = expectOne(t, db, mark, tc.table+" update")
		checkChange(t, rec, "update", tc.table, id, tc.changed...)
		if tc.table == "sso_providers" {
			providerID = id
			continue
		}
		mark = lastID(t, db)
		if err := tc.remove(db); err != nil {
			t.Fatalf("%s delete: %v", tc.table, err)
		}
		rec = expectOne(t, db, mark, tc.table+" delete")
		if rec.Action != "delete" || rec.TableName != tc.table || rec.RecordID != id || rec.New != nil {
			t.Errorf("%s delete recorded %s %s %q new %v", tc.table, rec.Action, rec.TableName, rec.RecordID, rec.New)
		}
	}
	mark := lastID(t, db)
	if err := db.Where("name = ?", "okta").Delete(&auditProvider{}).Error; err != nil {
		t.Fatal(err)
	}
	rec := expectOne(t, db, mark, "sso_providers delete")
	if rec.Action != "delete" || rec.RecordID != providerID || value(t, rec, true, "client_secret_sealed") != audit.Redacted {
		t.Errorf("provider delete recorded %s %q old %v", rec.Action, rec.RecordID, rec.Old)
	}
}
