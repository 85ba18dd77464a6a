package models_test

import (
	"slices"
	"testing"

	"outlay/models"
)

// Every time zone the settings offer loads, each is offered once, in order.
func TestEveryOfferedTimeZoneLoads(t *testing.T) {
	t.Parallel()
	if !slices.IsSorted(models.TimeZones) || len(slices.Compact(slices.Clone(models.TimeZones))) != len(models.TimeZones) {
		t.Error("the zones are not sorted and unique")
	}
	for _, z := range models.TimeZones {
		if _, err := models.LoadTimeZone(z); err != nil {
			t.Errorf("%s: %v", z, err)
		}
	}
}
