package backup_test

import (
	"testing"

	"outlay/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
