package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"outlay/internal/testutil"
)

// An admin uploads a file of 100,000 departments, reads the check, imports it, and watches
// the progress bar move in place (the page polls its fragment and swaps it; the page itself
// is never loaded again) until the result replaces it: 100,000 created. (The file is as large
// as it is for the import to take seconds, long enough for the bar to be seen part done.)
func TestImportProgressAndResult(t *testing.T) {
	const importRows = 100_000
	s := startSite(t)
	b := newBrowser(t)
	b.signIn(s, s.User.Email, testutil.Password)
	var csv strings.Builder
	csv.WriteString("Department;Code\n")
	for i := range importRows {
		fmt.Fprintf(&csv, "Department %06d;D%06d\n", i, i)
	}
	file := filepath.Join(t.TempDir(), "departments.csv")
	if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	b.do(
		chromedp.Navigate(s.URL("/admin/import")),
		chromedp.WaitVisible(chromedp.ID("import-file")),
		chromedp.SetValue(chromedp.ID("import-kind"), "departments"),
		chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{file}),
	)
	b.screenshot("upload")
	// The check of 100,000 rows takes a second here, and longer beside a whole CI run.
	b.pressAndLoadWithin("#upload-button", time.Minute)
	b.do(chromedp.WaitVisible(chromedp.ID("commit-button")))
	if info := b.text(".page-header p"); !strings.Contains(info, "semicolon-separated") || !strings.Contains(info, "100,000 rows") {
		t.Errorf("file info: %q", info)
	}
	b.screenshot("check")

	b.pressAndLoad("#commit-button")
	b.do(chromedp.WaitVisible(chromedp.ID("import-progress")))
	// Mark this document: a page load would lose the mark.
	b.do(chromedp.Evaluate[chromedp.Void](`window.__importPage = true`))
	// The bar shows a part done, then a larger part, without the page loading.
	// The job runs beside every other test of a CI run: its pace is the machine's, so these
	// waits are long ones (an action's own bound would cut them short).
	waitLong(b, `(function () { var p = document.getElementById('import-bar'); return !!p && p.value > 0 && p.value < p.max; })()`, 60*time.Second)
	first := eval[float64](b, `document.getElementById('import-bar').value`)
	b.screenshot("progress")
	waitLong(b, fmt.Sprintf(`!document.getElementById('import-bar') || document.getElementById('import-bar').value > %v`, first), 60*time.Second)
	waitLong(b, `!!document.getElementById('import-result')`, 120*time.Second)
	if !eval[bool](b, `window.__importPage === true`) {
		t.Error("the page was loaded again: the progress did not update in place")
	}
	if got := strings.Join(strings.Fields(b.text("#import-result")), " "); !strings.Contains(got, "Created 100,000") {
		t.Errorf("result: %q", got)
	}
	if got := b.text("#result-title"); got != "Imported" {
		t.Errorf("result title %q", got)
	}
	b.screenshot("result")
	var n int
	s.App.DB(t, s.Tenant).Raw(`SELECT count(*) FROM departments`).Scan(&n)
	if n != importRows {
		t.Errorf("%d departments, want %d", n, importRows)
	}
}
