package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"outlay"
	"outlay/bankfile"
)

// PaymentSettings is how the organisation originates US ACH payments (NACHA files): its
// name, its bank and the company identification the bank gave it. Its IBAN, the debtor of
// pain.001 files, is the organisation's bank account kept for reimbursements
// (GetOrgBankAccount).
type PaymentSettings struct {
	ID               int
	CompanyName      string
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

// SavePaymentSettings checks and keeps the organisation's ACH details. Each may be left empty
// until a NACHA file is made; what is typed must be well formed.
func SavePaymentSettings(ctx context.Context, db *gorm.DB, in PaymentSettings) error {
	verr := outlay.ValidationErrors{}
	s := PaymentSettings{ID: 1, CompanyName: oneSpaced(in.CompanyName), ACHRoutingNumber: strings.TrimSpace(in.ACHRoutingNumber),
		ACHBankName: oneSpaced(in.ACHBankName), ACHCompanyID: strings.TrimSpace(in.ACHCompanyID), UpdatedAt: time.Now()}
	checkLength(verr, "company_name", "An organisation name", s.CompanyName, 140)
	checkOneLine(verr, "company_name", s.CompanyName)
	if s.ACHRoutingNumber != "" && !bankfile.ValidRoutingNumber(s.ACHRoutingNumber) {
		verr.Add("ach_routing_number", "Enter your bank's nine-digit ABA routing number; this one's check digit is wrong.")
	}
	checkLength(verr, "ach_bank_name", "A bank name", s.ACHBankName, 23)
	checkOneLine(verr, "ach_bank_name", s.ACHBankName)
	checkLength(verr, "ach_company_id", "An ACH company ID", s.ACHCompanyID, 10)
	if _, refused := verr["ach_company_id"]; !refused && !printableASCII(s.ACHCompanyID) {
		// The bank file carries it as it is, in ASCII: an accent would be changed on the way.
		verr.Add("ach_company_id", "Enter the ID as your bank gave it: letters, digits and signs without accents.")
	}
	if err := verr.Err(); err != nil {
		return err
	}
	return db.WithContext(ctx).Model(&PaymentSettings{ID: 1}).
		Select("company_name", "ach_routing_number", "ach_bank_name", "ach_company_id", "updated_at").Updates(&s).Error
}

// printableASCII reports whether s holds only printable ASCII characters.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
