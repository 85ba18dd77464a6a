package models_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"outlay/internal/dbtest"
	"outlay/models"
)

// The vendors' and people's searches are the expression their trigram indexes hold, coalesce
// and separators alike: a search of three letters or more can be planned through the index
// (here with reading the table priced out, as it is once the table is large). A difference
// in the expression would leave the index unused, which a small table does not show. Shorter
// text never reads the trigram index, which holds no trigram for it.
func TestSearchesAreTheExpressionsTheirTrigramIndexesHold(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	db := env.DB(t, acme)
	for _, c := range []struct {
		from, index string
		search      func(string) clause.Expr
	}{
		{"vendors v", "vendors_search_trgm", models.VendorSearch},
		{"users u", "users_search_trgm", models.PeopleSearch},
	} {
		for text, indexed := range map[string]bool{"acme": true, "Ada St": true, "ac": false, "é": false} {
			var plan string
			err := db.Transaction(func(tx *gorm.DB) error {
				if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
					return err
				}
				return tx.Raw("EXPLAIN (FORMAT JSON) SELECT count(*) FROM "+c.from+" WHERE ?", c.search(text)).Row().Scan(&plan)
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(plan, c.index) != indexed {
				t.Errorf("%s searched for %q: through %s %v, want %v:\n%s", c.from, text, c.index, !indexed, indexed, plan)
			}
		}
	}
}
