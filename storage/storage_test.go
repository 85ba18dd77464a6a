package storage_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"outlay"
	"outlay/storage"
)

func open(t *testing.T) (*storage.Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := storage.Open(context.Background(), "file://"+filepath.ToSlash(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestRelativeFolderIsCreated(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := storage.Open(context.Background(), "file://./.outlay/blobs")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, err := os.Stat(".outlay/blobs"); err != nil || !fi.IsDir() {
		t.Fatalf("folder: %v", err)
	}
	up, err := s.Receive(context.Background(), "acme", strings.NewReader("hello"), "a.txt", 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(".outlay/blobs", "acme", up.SHA256)); err != nil {
		t.Errorf("blob not under the tenant prefix: %v", err)
	}
	for _, bad := range []string{"", "not a url", "file://"} {
		if _, err := storage.Open(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "OUTLAY_BLOB_URL") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

func officeFile(t *testing.T, main string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, name := range []string{"[Content_Types].xml", main} {
		f, _ := w.Create(name)
		f.Write([]byte("<x/>"))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestUploadsAreSniffedFromTheirBytes(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	plainZip := func() []byte {
		var b bytes.Buffer
		w := zip.NewWriter(&b)
		f, _ := w.Create("evil.exe")
		f.Write([]byte("MZ"))
		w.Close()
		return b.Bytes()
	}()
	for name, tc := range map[string]struct {
		body     []byte
		filename string
		want     string // "" is refused
	}{
		"pdf":                    {[]byte("%PDF-1.7\n1 0 obj\n"), "quote.pdf", storage.TypePDF},
		"png named .pdf":         {pngBytes, "quote.pdf", storage.TypePNG},
		"jpeg":                   {[]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), "photo.jpg", storage.TypeJPEG},
		"gif":                    {[]byte("GIF89a\x01\x00\x01\x00"), "a.gif", storage.TypeGIF},
		"webp":                   {[]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "a.webp", storage.TypeWebP},
		"text":                   {[]byte("Delivery on Tuesday, gate 3.\n"), "note.txt", storage.TypeText},
		"csv":                    {[]byte("sku,qty\nA1,3\n"), "lines.CSV", storage.TypeCSV},
		"docx":                   {officeFile(t, "word/document.xml"), "spec.docx", storage.TypeDOCX},
		"xlsx":                   {officeFile(t, "xl/workbook.xml"), "prices.xlsx", storage.TypeXLSX},
		"pptx":                   {officeFile(t, "ppt/presentation.xml"), "deck.pptx", storage.TypePPTX},
		"html named .pdf":        {[]byte("<!DOCTYPE html><script>alert(1)</script>"), "invoice.pdf", ""},
		"svg":                    {[]byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`), "logo.svg", ""},
		"windows program":        {[]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), "setup.pdf", ""},
		"zip that is not Office": {plainZip, "spec.docx", ""},
		"latin-1 text":           {[]byte("caf\xe9 cr\xe8me\n"), "menu.txt", ""},
	} {
		up, err := s.Receive(ctx, "acme", bytes.NewReader(tc.body), tc.filename, 1<<20)
		if tc.want == "" {
			v, ok := outlay.AsValidation(err)
			if !ok || !strings.HasPrefix(v["file"], "Files of this kind cannot be attached.") {
				t.Errorf("%s: %+v %v", name, up, err)
			}
			continue
		}
		if err != nil || up.ContentType != tc.want || up.Size != int64(len(tc.body)) || up.Key != "acme/"+up.SHA256 {
			t.Errorf("%s: %+v %v", name, up, err)
		}
	}
}

func TestTooBigOrEmptyUploadsStoreNothing(t *testing.T) {
	s, dir := open(t)
	ctx := context.Background()
	_, err := s.Receive(ctx, "acme", bytes.NewReader(bytes.Repeat([]byte("a"), 1025)), "big.txt", 1024)
	if v, ok := outlay.AsValidation(err); !ok || v["file"] != "This file is larger than 1 KB, the most an attachment may be." {
		t.Errorf("too big: %v", err)
	}
	if _, err := s.Receive(ctx, "acme", bytes.NewReader(nil), "empty.txt", 1024); err == nil {
		t.Error("empty file accepted")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("refused uploads left %d entries in the store", len(entries))
	}
	// Exactly at the cap is fine.
	if _, err := s.Receive(ctx, "acme", bytes.NewReader(bytes.Repeat([]byte("a"), 1024)), "cap.txt", 1024); err != nil {
		t.Errorf("file at the cap: %v", err)
	}
}

func TestIdenticalContentIsStoredOncePerTenant(t *testing.T) {
	s, dir := open(t)
	ctx := context.Background()
	a, err := s.Receive(ctx, "acme", strings.NewReader("same bytes"), "a.txt", 100)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Receive(ctx, "acme", strings.NewReader("same bytes"), "b.txt", 100)
	if err != nil || b.Key != a.Key {
		t.Fatalf("second copy %+v %v", b, err)
	}
	g, err := s.Receive(ctx, "globex", strings.NewReader("same bytes"), "a.txt", 100)
	if err != nil || g.Key == a.Key || !strings.HasPrefix(g.Key, "globex/") {
		t.Fatalf("other tenant %+v %v", g, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "acme", "*"))
	blobs := 0
	for _, f := range files {
		if !strings.HasSuffix(f, ".attrs") {
			blobs++
		}
	}
	if blobs != 1 {
		t.Errorf("%d blobs for one content: %v", blobs, files)
	}
	r, err := s.Open(ctx, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if string(got) != "same bytes" {
		t.Errorf("read back %q", got)
	}
	if n, err := s.DeleteTenant(ctx, "acme"); err != nil || n != 1 {
		t.Errorf("delete tenant: %d %v", n, err)
	}
	if _, err := s.Open(ctx, a.Key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if ok, _ := s.Exists(ctx, g.Key); !ok {
		t.Error("deleting acme removed globex's blob")
	}
	for _, key := range []string{"../etc/passwd", "acme/../../x", "acme/" + strings.Repeat("g", 64), "ACME/" + a.SHA256} {
		if _, err := s.Open(ctx, key); err == nil || errors.Is(err, storage.ErrNotFound) {
			t.Errorf("key %q: %v", key, err)
		}
	}
}

func TestFilenamesAreSanitised(t *testing.T) {
	for in, want := range map[string]string{
		"quote.pdf":                       "quote.pdf",
		`C:\Users\ana\Desktop\q.pdf`:      "q.pdf",
		"../../etc/passwd":                "passwd",
		"  .hidden  ":                     "hidden",
		"a\x00b\r\nc\u202e.pdf":           "abc.pdf",
		`say "hi" <now>.txt`:              "say _hi_ _now_.txt",
		"":                                "attachment",
		"..":                              "attachment",
		"Ångström façade.pdf":             "Ångström façade.pdf",
		strings.Repeat("é", 150) + ".pdf": strings.Repeat("é", 98) + ".pdf",
	} {
		if got := storage.SanitizeFilename(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestContentDispositionOffersTheExactNameSafely(t *testing.T) {
	for in, want := range map[string]string{
		"quote.pdf":           `attachment; filename="quote.pdf"; filename*=UTF-8''quote.pdf`,
		"Ångström façade.pdf": `attachment; filename="_ngstr_m fa_ade.pdf"; filename*=UTF-8''%C3%85ngstr%C3%B6m%20fa%C3%A7ade.pdf`,
		`it's 100%;x.txt`:     `attachment; filename="it's 100__x.txt"; filename*=UTF-8''it%27s%20100%25%3Bx.txt`,
	} {
		if got := storage.ContentDisposition(in); got != want {
			t.Errorf("%q:\n got %s\nwant %s", in, got, want)
		}
	}
}

// A download's name ends in an extension that matches the kind its bytes were detected as,
// so a file that is plain text but named evil.html is not opened as a page.
func TestDownloadNameMatchesTheDetectedType(t *testing.T) {
	for _, tc := range []struct{ name, ctype, want string }{
		{"evil.html", storage.TypeText, "evil.html.txt"},
		{"notes.txt", storage.TypeText, "notes.txt"},
		{"NOTES.TXT", storage.TypeText, "NOTES.TXT"},
		{"server.log", storage.TypeText, "server.log"},
		{"script.svg", storage.TypeText, "script.svg.txt"},
		{"rows.csv", storage.TypeCSV, "rows.csv"},
		{"quote.pdf", storage.TypePDF, "quote.pdf"},
		{"quote.html", storage.TypePDF, "quote.html.pdf"},
		{"scan", storage.TypePNG, "scan.png"},
		{"photo.JPEG", storage.TypeJPEG, "photo.JPEG"},
		{"photo.jpg", storage.TypeJPEG, "photo.jpg"},
		{"photo.png", storage.TypeJPEG, "photo.png.jpg"},
		{"anim.gif", storage.TypeGIF, "anim.gif"},
		{"pic.webp", storage.TypeWebP, "pic.webp"},
		{"report.docx", storage.TypeDOCX, "report.docx"},
		{"report.zip", storage.TypeDOCX, "report.zip.docx"},
		{"sheet.xlsx", storage.TypeXLSX, "sheet.xlsx"},
		{"deck.pptx", storage.TypePPTX, "deck.pptx"},
		{"", storage.TypePDF, "attachment.pdf"},
		{"mystery.exe", "application/x-unknown", "mystery.exe.bin"},
	} {
		if got := storage.DownloadName(tc.name, tc.ctype); got != tc.want {
			t.Errorf("DownloadName(%q, %q) = %q, want %q", tc.name, tc.ctype, got, tc.want)
		}
	}
}

// Deleting a tenant's files (a purge) leaves no empty folder of it in a local store; another
// tenant's files and folder stay. Folders are only ever removed inside the store.
func TestDeleteTenantLeavesNoEmptyFolder(t *testing.T) {
	s, dir := open(t)
	ctx := context.Background()
	for _, key := range []string{storage.Key("acme", strings.Repeat("ab", 32)), storage.Key("acme", strings.Repeat("cd", 32)),
		storage.Key("globex", strings.Repeat("ef", 32))} {
		if err := s.Put(ctx, key, strings.NewReader("a receipt"), "application/pdf"); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteTenant(ctx, "acme"); n != 2 || err != nil {
		t.Fatalf("deleted %d files: %v", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "acme")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the purged tenant's folder is still there: %v", err)
	}
	if ok, err := s.Exists(ctx, storage.Key("globex", strings.Repeat("ef", 32))); !ok || err != nil {
		t.Errorf("another tenant's file went with the purge: %v", err)
	}
	// Deleting again finds nothing, and no folder is no error.
	if n, err := s.DeleteTenant(ctx, "acme"); n != 0 || err != nil {
		t.Errorf("deleting a tenant with no files: %d %v", n, err)
	}

	outside := t.TempDir()
	if err := os.Mkdir(filepath.Join(outside, "empty"), 0o750); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"../" + filepath.Base(outside) + "/empty", "", "acme/../globex", "/"} {
		if err := storage.RemoveEmptyFolders(dir, rel); err == nil {
			t.Errorf("removing the folders of %q: no refusal", rel)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "empty")); err != nil {
		t.Errorf("a folder outside the store was removed: %v", err)
	}
	if err := storage.RemoveEmptyFolders(dir, "globex"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "globex")); err != nil {
		t.Errorf("a folder that holds a file was removed: %v", err)
	}
}
