// Package static embeds the browser assets (CSS, JavaScript, images) and names them by content hash.
//
// Templates link assets with Path, which returns a URL containing the first
// ten hex digits of the SHA-256 of the file, e.g. "/static/css/app.3f9a1c2e7b.css".
// The HTTP layer serves them with Lookup; because the URL changes whenever the
// content does, responses may be cached forever (see CacheControl).
//
// The asset table is computed once at package initialisation and never
// modified afterwards, so all functions are safe for concurrent use.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"
)

// Prefix is the URL path prefix under which every asset is served.
const Prefix = "/static/"

// CacheControl is the Cache-Control header value suitable for responses
// served by Lookup: hashed URLs never change meaning.
const CacheControl = "public, max-age=31536000, immutable"

// hashLen is the number of hex digits of the SHA-256 put into URLs.
const hashLen = 10

// files holds the assets. vendor/*.js only: the licence texts beside the
// vendored scripts are kept in the repository but not served.
//
//go:embed css js img vendor/*.js
var files embed.FS

type asset struct {
	name        string // "css/app.css"
	url         string // "/static/css/app.3f9a1c2e7b.css"
	body        []byte
	contentType string
	// gzipped is body compressed, made on the first request that accepts it (nil when the
	// type does not compress or compressing saves too little).
	gzipped func() []byte
}

var (
	byName map[string]*asset // keyed by embedded file name
	byURL  map[string]*asset // keyed by hashed URL path
)

func init() {
	var err error
	byName, byURL, err = build(files)
	if err != nil {
		panic("static: " + err.Error())
	}
}

// build reads every file of fsys and returns the lookup tables.
func build(fsys fs.FS) (map[string]*asset, map[string]*asset, error) {
	names := map[string]*asset{}
	urls := map[string]*asset{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		a := &asset{
			name:        name,
			url:         Prefix + hashedName(name, body),
			body:        body,
			contentType: contentType(name),
		}
		a.gzipped = sync.OnceValue(func() []byte { return compress(a) })
		names[name] = a
		urls[a.url] = a
		return nil
	})
	return names, urls, err
}

// hashedName inserts the content hash before the last extension:
// "vendor/htmx.min.js" -> "vendor/htmx.min.<hash>.js".
func hashedName(name string, body []byte) string {
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])[:hashLen]
	dir, file := path.Split(name)
	ext := path.Ext(file)
	return dir + strings.TrimSuffix(file, ext) + "." + h + ext
}

// compressible are the types worth compressing: text. Images and fonts are compressed
// already.
var compressible = map[string]bool{".css": true, ".js": true, ".svg": true, ".txt": true, ".json": true}

// compress is a's body compressed with gzip at its best, or nil when the type is not text or
// the saving is under a tenth (the header and the client's work would cost more).
func compress(a *asset) []byte {
	if !compressible[strings.ToLower(path.Ext(a.name))] {
		return nil
	}
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := w.Write(a.body); err != nil || w.Close() != nil || buf.Len() > len(a.body)*9/10 {
		return nil
	}
	return buf.Bytes()
}

// contentTypes pins the types we care about rather than trusting the host's
// MIME database (mime.TypeByExtension consults /etc/mime.types and friends).
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".webp":  "image/webp",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
	".json":  "application/json",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// Path returns the content-hashed URL of the embedded asset name, which is
// relative to this package's directory:
//
//	Path("css/app.css") // "/static/css/app.3f9a1c2e7b.css"
//
// It panics if no such asset exists, so that a typo in a template fails
// loudly as soon as the template is rendered (in tests, ideally).
func Path(name string) string {
	a, ok := byName[strings.TrimPrefix(name, "/")]
	if !ok {
		panic(fmt.Sprintf("static: no embedded asset %q", name))
	}
	return a.url
}

// Lookup resolves a URL path produced by Path back to the embedded file,
// returning its content and Content-Type. urlPath is normally the full request
// path ("/static/css/app.3f9a1c2e7b.css"); the form with Prefix already
// stripped ("css/app.3f9a1c2e7b.css", as a "/static/*" route parameter gives
// it) is accepted too. An unhashed or wrongly hashed path is not found, so a
// stale URL never serves content under a wrong cache key.
//
// The returned slice is shared: callers must not modify it.
func Lookup(urlPath string) (body []byte, contentType string, ok bool) {
	a, ok := find(urlPath)
	if !ok {
		return nil, "", false
	}
	return a.body, a.contentType, true
}

// find is the asset of a hashed URL path, with or without Prefix.
func find(urlPath string) (*asset, bool) {
	if !strings.HasPrefix(urlPath, "/") {
		urlPath = Prefix + urlPath
	}
	a, ok := byURL[urlPath]
	return a, ok
}

// Gzipped is the asset of urlPath (as Lookup takes it) compressed with gzip, and whether it
// has such a form: text assets do, when compressing saves at least a tenth. Lookup's body is
// what a client that does not accept gzip gets. The slice is shared and made once.
func Gzipped(urlPath string) ([]byte, bool) {
	a, ok := find(urlPath)
	if !ok {
		return nil, false
	}
	gz := a.gzipped()
	return gz, gz != nil
}
