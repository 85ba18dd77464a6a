package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/bankfile"
)

// PaymentSettings is the organisation's own bank account, which payments leave from: the
// debtor of a pain.001 file and the originator of a NACHA file.
type PaymentSettings struct {
	ID               int
	CompanyName      string
	IBAN             string `gorm:"column:iban"`
	BIC              string `gorm:"column:bic"`
	ACHRoutingNumber string `gorm:"column:ach_routing_number"`
	ACHBankName      string `gorm:"column:ach_bank_name"`
	ACHCompanyID     string `gorm:"column:ach_company_id"`
	UpdatedAt        time.Time
}

// GetPaymentSettings reads the organisation's bank account.
func GetPaymentSettings(ctx context.Context, db *gorm.DB) (PaymentSettings, error) {
	var s PaymentSettings
	err := db.WithContext(ctx).First(&s, 1).Error
	return s, err
}

// SavePaymentSettings checks and keeps the organisation's bank account. Each part may be left
// empty until the bank files that need it are made; what is typed must be well formed.
func SavePaymentSettings(ctx context.Context, db *gorm.DB, in PaymentSettings) error {
	verr := outlay.ValidationErrors{}
	s := PaymentSettings{ID: 1, CompanyName: strings.TrimSpace(in.CompanyName), ACHRoutingNumber: strings.TrimSpace(in.ACHRoutingNumber),
		ACHBankName: strings.TrimSpace(in.ACHBankName), ACHCompanyID: strings.TrimSpace(in.ACHCompanyID), UpdatedAt: time.Now()}
	checkLength(verr, "company_name", s.CompanyName, 140)
	if strings.TrimSpace(in.IBAN) != "" {
		iban, err := bankfile.ParseIBAN(in.IBAN)
		if err != nil {
			verr.Add("iban", err.Error())
		}
		s.IBAN = string(iban)
	}
	if strings.TrimSpace(in.BIC) != "" {
		bic, err := bankfile.ParseBIC(in.BIC)
		if err != nil {
			verr.Add("bic", err.Error())
		}
		s.BIC = bic
	}
	if s.ACHRoutingNumber != "" && !bankfile.ValidRoutingNumber(s.ACHRoutingNumber) {
		verr.Add("ach_routing_number", "Enter your bank's nine-digit ABA routing number; this one's check digit is wrong.")
	}
	checkLength(verr, "ach_bank_name", s.ACHBankName, 23)
	if len(s.ACHCompanyID) > 10 {
		verr.Add("ach_company_id", "Use at most 10 characters, as your bank gave it.")
	}
	if err := verr.Err(); err != nil {
		return err
	}
	return db.WithContext(ctx).Model(&PaymentSettings{ID: 1}).
		Select("company_name", "iban", "bic", "ach_routing_number", "ach_bank_name", "ach_company_id", "updated_at").Updates(&s).Error
}
