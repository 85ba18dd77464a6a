package views

import (
	"strings"

	"outlay/sheet"
)

// ExportFormat is one way a list can be downloaded.
type ExportFormat struct {
	Format sheet.Format
	Label  string
}

// ExportFormats are the formats every list's Export offers.
func ExportFormats() []ExportFormat {
	out := make([]ExportFormat, len(sheet.Formats))
	for i, f := range sheet.Formats {
		out[i] = ExportFormat{Format: f, Label: f.Label()}
	}
	return out
}

// ExportHref is the address of an export (base, with its filters) in format f.
func ExportHref(base string, f sheet.Format) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "format=" + string(f)
}
