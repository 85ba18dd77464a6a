package handlers_test

import (
	"strconv"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"outlay/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

type goquerySelection = goquery.Selection

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
