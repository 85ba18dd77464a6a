// Package ziptest reads zip archives (workbooks, export archives) whole in tests.
package ziptest

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
)

// Part is one entry of an archive, unpacked.
type Part struct {
	Name string
	Data []byte
}

// Parts are the entries of the zip archive data, in its order, unpacked.
func Parts(t testing.TB, data []byte) []Part {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	parts := make([]Part, 0, len(zr.File))
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		parts = append(parts, Part{f.Name, b})
	}
	return parts
}
