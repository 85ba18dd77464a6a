package models_test

import (
	"testing"

	"outlay/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }
