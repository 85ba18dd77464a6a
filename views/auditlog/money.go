package auditlog

import (
	"math"
	"strings"

	"outlay/money"
)

// MoneyText shows a recorded amount of minor units (a column named *_minor) in the currency
// recorded beside it on the same row, as people read money: "$1,234.56". It reports false
// when the field is not an amount, the row has no currency, or the value is not a whole
// number, so the caller shows the raw value instead.
func MoneyText(field string, value any, row map[string]any) (string, bool) {
	if !strings.HasSuffix(field, "_minor") {
		return "", false
	}
	currency, _ := row["currency"].(string)
	n, ok := value.(float64) // JSON numbers; amounts stay far below 2^53
	if !ok || !money.ValidCurrency(currency) || n != math.Trunc(n) || math.Abs(n) > 1<<53 {
		return "", false
	}
	return money.Money{Minor: int64(n), Currency: currency}.String(), true
}
