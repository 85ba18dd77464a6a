package jobs

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A starting server removes the temporary files a killed one left (an archive half written
// holds a tenant's data), but not one still being written, nor anyone else's file.
func TestStaleTempFilesAreRemoved(t *testing.T) {
	dir, now := t.TempDir(), time.Now()
	files := map[string]time.Duration{
		"outlay-export-1.zip": 7 * time.Hour, "outlay-archive-2": 30 * time.Hour, "outlay-upload-3": 8 * time.Hour,
		"outlay-export-4.zip": time.Minute, "someone-else.zip": 30 * time.Hour,
	}
	for name, age := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("data"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	if n := removeStaleTempFiles(dir, staleTempAge, now); n != 3 {
		t.Errorf("removed %d files, want 3", n)
	}
	for name, age := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		gone := os.IsNotExist(err)
		if want := age > staleTempAge && name != "someone-else.zip"; gone != want {
			t.Errorf("%s (%s old): removed %v, want %v", name, age, gone, want)
		}
	}
}
