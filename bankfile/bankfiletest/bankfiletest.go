// Package bankfiletest checks bank files in tests: a pain.001 file against the ISO 20022
// schema shipped in bankfile/testdata, with xmllint.
package bankfiletest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// SchemaPath is the official pain.001.001.03 schema (see bankfile/testdata/README.md).
func SchemaPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "pain.001.001.03.xsd")
}

// Xmllint returns xmllint's path. Without it the test is skipped with a message saying so,
// or fails when OUTLAY_REQUIRE_BROWSER=1 is set (as CI sets it, where every test must run).
func Xmllint(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("xmllint")
	if err == nil {
		return path
	}
	if os.Getenv("OUTLAY_REQUIRE_BROWSER") == "1" {
		t.Fatal("xmllint is missing and OUTLAY_REQUIRE_BROWSER=1 requires it: apt-get install libxml2-utils")
	}
	t.Skip("xmllint is missing (apt-get install libxml2-utils): pain.001 files are not checked against the ISO 20022 schema")
	return ""
}

// ValidatePain001 fails the test unless data is a pain.001.001.03 document the schema
// accepts, showing xmllint's complaints.
func ValidatePain001(t testing.TB, data []byte) {
	t.Helper()
	xmllint := Xmllint(t)
	f := filepath.Join(t.TempDir(), "pain001.xml")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--schema", SchemaPath(), f).CombinedOutput()
	if err != nil {
		t.Fatalf("the pain.001 file does not validate against the ISO 20022 schema: %v\n%s\n%s", err, out, data)
	}
}
