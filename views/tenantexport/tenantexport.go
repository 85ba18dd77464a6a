// Package tenantexport shows "Export everything": the archive of the whole organisation an
// admin asks for, its progress, and the time-limited links to download it.
package tenantexport

// Path is the export page.
const Path = "/admin/export"

// Row is one export as the page lists it.
type Row struct {
	ID        int64
	Requested string // when, in the organisation's time zone
	By        string
	Status    string // queued, running, ready, failed
	Summary   string // what it holds, once ready
	Error     string
	// DownloadURL is the signed link, while it is valid; Expires says until when.
	DownloadURL string
	Expires     string
	Expired     bool
}

// Page is the export page.
type Page struct {
	CSRF string
	Rows []Row
	// Pending is true while an export is queued or running: the list refreshes itself.
	Pending bool
}

// StatusLabel names an export's status as people read it.
func StatusLabel(s string) string {
	switch s {
	case "queued":
		return "Waiting"
	case "running":
		return "Being written"
	case "ready":
		return "Ready"
	case "failed":
		return "Failed"
	case "expired":
		return "Deleted"
	}
	return s
}
