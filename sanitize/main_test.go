package sanitize

import (
	"testing"

	"outlay/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
