package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Department is a part of the organisation people belong to. An archived department keeps
// its members but takes no new ones.
type Department struct {
	ID         int64
	Name       string
	Code       string
	HeadID     *int64
	ArchivedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Departments lists the departments that are not archived, by name.
func Departments(ctx context.Context, db *gorm.DB) ([]Department, error) {
	var out []Department
	err := db.WithContext(ctx).Where("archived_at IS NULL").Order("lower(name), id").Find(&out).Error
	return out, err
}
