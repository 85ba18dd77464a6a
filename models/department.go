package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Department is a part of the organisation people belong to. An archived department keeps
// its members but takes no new ones.
type Department struct {
	ID     int64
	Name   string
	Code   string
	HeadID *int64
	// DefaultGLAccountID is the department's usual GL account: a requisition's lines for the
	// department start on it.
	DefaultGLAccountID *int64 `gorm:"column:default_gl_account_id"`
	ArchivedAt         *time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// RequisitionStart is what a new requisition of the person userID starts with: their
// department from their profile (nil when they have none or it is archived) and that
// department's default GL account (nil when it has none that is active).
func RequisitionStart(ctx context.Context, db *gorm.DB, userID int64) (departmentID, glAccountID *int64, err error) {
	var rows []struct {
		DepartmentID int64
		GLAccountID  *int64 `gorm:"column:gl_account_id"`
	}
	err = db.WithContext(ctx).Raw(`SELECT d.id AS department_id, g.id AS gl_account_id FROM users u
		JOIN departments d ON d.id = u.department_id AND d.archived_at IS NULL
		LEFT JOIN gl_accounts g ON g.id = d.default_gl_account_id AND g.archived_at IS NULL
		WHERE u.id = ?`, userID).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, nil, err
	}
	return &rows[0].DepartmentID, rows[0].GLAccountID, nil
}

// DefaultGLAccount is the active GL account the department id's requisition lines start on,
// or nil: none is set, or it has been archived since.
func DefaultGLAccount(ctx context.Context, db *gorm.DB, id int64) (*int64, error) {
	var out []int64
	err := db.WithContext(ctx).Raw(`SELECT g.id FROM departments d JOIN gl_accounts g ON g.id = d.default_gl_account_id
		WHERE d.id = ? AND g.archived_at IS NULL`, id).Scan(&out).Error
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// Departments lists the departments that are not archived, by name.
func Departments(ctx context.Context, db *gorm.DB) ([]Department, error) {
	var out []Department
	err := db.WithContext(ctx).Where("archived_at IS NULL").Order("lower(name), id").Find(&out).Error
	return out, err
}
