package jobs

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tempPrefixes name the temporary files the jobs and the upload path write: an archive being
// written, its zip, an upload being received. Each is removed when its work ends, but a
// server killed meanwhile leaves it behind, with a tenant's data in it.
var tempPrefixes = []string{"outlay-export-", "outlay-archive-", "outlay-upload-"}

// staleTempAge is how long a temporary file is left before a starting server takes it for
// one a killed server left: longer than any job may run (a backup's four hours), and a file
// in use is written to, so its modification time stays recent.
const staleTempAge = 6 * time.Hour

// removeStaleTempFiles deletes the temporary files in dir that a killed server left: those
// named as ours and not changed for longer than age. It returns how many it removed.
func removeStaleTempFiles(dir string, age time.Duration, now time.Time) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	removed := 0
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !hasAnyPrefix(name, tempPrefixes) {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < age {
			continue
		}
		if os.Remove(filepath.Join(dir, name)) == nil {
			removed++
		}
	}
	return removed
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
