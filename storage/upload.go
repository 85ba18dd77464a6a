package storage

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"outlay"
)

// DefaultMaxUploadBytes is the size cap of one attachment unless configured (25 MB).
const DefaultMaxUploadBytes = 25 << 20

// Kinds of files accepted, by the content type sniffed from their bytes.
const (
	TypePDF  = "application/pdf"
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
	TypeGIF  = "image/gif"
	TypeWebP = "image/webp"
	TypeText = "text/plain; charset=utf-8"
	TypeCSV  = "text/csv; charset=utf-8"
	TypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	TypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	TypePPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
)

// AllowedDescription names the accepted kinds, for messages and the upload form.
const AllowedDescription = "PDF, PNG, JPEG, GIF, WebP, plain text, CSV, Word, Excel or PowerPoint (.docx, .xlsx, .pptx)"

// Upload is a received file, checked and stored.
type Upload struct {
	Filename    string // sanitised
	ContentType string // sniffed from the bytes
	Size        int64
	SHA256      string
	Key         string
}

// Receive reads an uploaded file for tenantSlug, at most maxBytes of it, into a temporary
// file while hashing it; sniffs its kind from its bytes (whatever the client claimed) against
// the allow-list; and stores it under its content hash. A file that is too big, empty, or of
// a kind not allowed is refused with a message for the "file" field, and nothing is stored.
func (s *Store) Receive(ctx context.Context, tenantSlug string, r io.Reader, filename string, maxBytes int64) (*Upload, error) {
	tmp, err := os.CreateTemp("", "outlay-upload-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	// One byte past the cap tells a file at the cap from a larger one without reading more.
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("receive upload: %w", err)
	}
	if n > maxBytes {
		return nil, outlay.ValidationErrors{"file": fmt.Sprintf("This file is larger than %s, the most an attachment may be.", FormatSize(maxBytes))}
	}
	if n == 0 {
		return nil, outlay.ValidationErrors{"file": "This file is empty."}
	}
	name := SanitizeFilename(filename)
	ctype, err := sniff(tmp, n, name)
	if err != nil {
		return nil, err
	}
	if ctype == "" {
		return nil, outlay.ValidationErrors{"file": "Files of this kind cannot be attached. Attach a " + AllowedDescription + " file."}
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	up := &Upload{Filename: name, ContentType: ctype, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
	up.Key = Key(tenantSlug, up.SHA256)
	if err := s.Put(ctx, up.Key, tmp, ctype); err != nil {
		return nil, err
	}
	return up, nil
}

// sniff returns the allowed content type of the file's bytes, or "" when its kind is not
// allowed. The name only tells CSV from other plain text, which no byte pattern can.
func sniff(f *os.File, size int64, name string) (string, error) {
	head := make([]byte, 512)
	k, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return "", err
	}
	head = head[:k]
	switch detected := http.DetectContentType(head); detected {
	case TypePDF, TypePNG, TypeJPEG, TypeGIF, TypeWebP:
		return detected, nil
	case "text/plain; charset=utf-8":
		// DetectContentType calls any text without control bytes plain; refuse text that is
		// not valid UTF-8 throughout, as no reader could show it faithfully.
		if !validUTF8File(f) {
			return "", nil
		}
		if strings.EqualFold(path.Ext(name), ".csv") {
			return TypeCSV, nil
		}
		return TypeText, nil
	case "application/zip":
		return officeType(f, size), nil
	}
	return "", nil
}

func validUTF8File(f *os.File) bool {
	buf := make([]byte, 64<<10)
	var carry []byte
	var off int64
	for {
		n, err := f.ReadAt(buf, off)
		off += int64(n)
		chunk := append(carry, buf[:n]...)
		// A rune split across reads is checked with the next chunk.
		cut := len(chunk)
		for i := 1; i <= utf8.UTFMax && i <= len(chunk); i++ {
			if utf8.RuneStart(chunk[len(chunk)-i]) {
				if !utf8.FullRune(chunk[len(chunk)-i:]) {
					cut = len(chunk) - i
				}
				break
			}
		}
		if err == io.EOF {
			return utf8.Valid(chunk)
		}
		if err != nil || !utf8.Valid(chunk[:cut]) {
			return false
		}
		carry = append([]byte(nil), chunk[cut:]...)
	}
}

// officeType tells the Office Open XML formats from other zip archives by the parts every
// such document has: [Content_Types].xml and its main part's folder.
func officeType(f *os.File, size int64) string {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return ""
	}
	var hasTypes bool
	var kind string
	for _, e := range zr.File {
		switch {
		case e.Name == "[Content_Types].xml":
			hasTypes = true
		case e.Name == "word/document.xml":
			kind = TypeDOCX
		case e.Name == "xl/workbook.xml":
			kind = TypeXLSX
		case e.Name == "ppt/presentation.xml":
			kind = TypePPTX
		}
	}
	if !hasTypes {
		return ""
	}
	return kind
}

// SanitizeFilename keeps the last path element of a client's file name, without control or
// format characters, quotes, slashes or leading dots, at most 200 bytes (keeping the
// extension), and "attachment" when nothing is left.
func SanitizeFilename(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			continue
		case r == '"' || r == '/' || r == ':' || r == '*' || r == '?' || r == '<' || r == '>' || r == '|':
			b.WriteRune('_')
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.Trim(strings.Join(strings.Fields(b.String()), " "), ". ")
	const maxLen = 200
	if len(name) > maxLen {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		stem := name[:maxLen-len(ext)]
		for !utf8.ValidString(stem) {
			stem = stem[:len(stem)-1]
		}
		name = stem + ext
	}
	if name == "" {
		return "attachment"
	}
	return name
}

// ContentDisposition is the header value that makes a browser download the file under its
// name: a plain ASCII fallback and the exact name in RFC 5987 form.
func ContentDisposition(filename string) string {
	var ascii strings.Builder
	for _, r := range filename {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			ascii.WriteRune('_')
		} else {
			ascii.WriteRune(r)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii.String(), strings.ReplaceAll(url.PathEscape(filename), "'", "%27"))
}

// FormatSize writes a byte count for people: "812 bytes", "4.2 KB", "25 MB".
func FormatSize(n int64) string {
	switch {
	case n < 1024:
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/1024)) + " KB"
	default:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<20))) + " MB"
	}
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }

// extensions are the file name extensions that match each accepted kind, the usual one first.
// Plain text keeps only extensions that no program opens as anything but text.
var extensions = map[string][]string{
	"application/pdf": {".pdf"},
	"image/png":       {".png"},
	"image/jpeg":      {".jpg", ".jpeg"},
	"image/gif":       {".gif"},
	"image/webp":      {".webp"},
	"text/plain":      {".txt", ".text", ".log", ".md"},
	"text/csv":        {".csv"},
	TypeDOCX:          {".docx"},
	TypeXLSX:          {".xlsx"},
	TypePPTX:          {".pptx"},
}

// DownloadName is the name a file is downloaded under: name itself when its extension
// matches detectedType (the kind sniffed from its bytes), otherwise name with that kind's
// extension added, so that a text file named evil.html downloads as evil.html.txt and is
// never opened as a page. A kind this package does not accept gets ".bin".
func DownloadName(name, detectedType string) string {
	if name == "" {
		name = "attachment"
	}
	media, _, err := mime.ParseMediaType(detectedType)
	if err != nil {
		media = ""
	}
	exts, ok := extensions[media]
	if !ok {
		exts = []string{".bin"}
	}
	ext := strings.ToLower(path.Ext(name))
	for _, e := range exts {
		if ext == e {
			return name
		}
	}
	return name + exts[0]
}
