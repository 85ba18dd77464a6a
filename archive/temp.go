package archive

import (
	"io"
	"os"
)

// tempFile is a temporary file that is removed when done with.
type tempFile struct{ f *os.File }

func newTempFile() (*tempFile, error) {
	f, err := os.CreateTemp("", "outlay-archive-*")
	if err != nil {
		return nil, err
	}
	return &tempFile{f: f}, nil
}

func (t *tempFile) Write(p []byte) (int, error) { return t.f.Write(p) }

// CopyTo writes the file's content, from its start, to w.
func (t *tempFile) CopyTo(w io.Writer) error {
	if _, err := t.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, t.f)
	return err
}

// Remove closes and deletes the file.
func (t *tempFile) Remove() {
	name := t.f.Name()
	t.f.Close()
	os.Remove(name)
}
