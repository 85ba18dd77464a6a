package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// embedded lists every file in the embedded FS.
func embedded(t *testing.T) []string {
	t.Helper()
	var names []string
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

var hashedURL = regexp.MustCompile(`^/static/[a-z0-9/._-]+\.[0-9a-f]{10}\.[a-z0-9]+$`)

func TestRoundTripEveryFile(t *testing.T) {
	names := embedded(t)
	for _, want := range []string{"css/app.css", "js/app.js", "vendor/htmx.min.js", "img/favicon.svg"} {
		if _, ok := byName[want]; !ok {
			t.Errorf("%s is not embedded", want)
		}
	}
	if len(names) != len(byName) || len(names) != len(byURL) {
		t.Fatalf("table sizes: %d files, %d names, %d urls", len(names), len(byName), len(byURL))
	}
	for _, name := range names {
		want, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		url := Path(name)
		if !hashedURL.MatchString(url) {
			t.Errorf("Path(%q) = %q: not a hashed URL", name, url)
		}
		sum := sha256.Sum256(want)
		if h := hex.EncodeToString(sum[:])[:10]; !strings.Contains(url, "."+h+".") {
			t.Errorf("Path(%q) = %q: want hash %s", name, url, h)
		}
		if again := Path(name); again != url {
			t.Errorf("Path(%q) not stable: %q then %q", name, url, again)
		}
		body, ct, ok := Lookup(url)
		if !ok || !bytes.Equal(body, want) || ct == "" {
			t.Errorf("Lookup(%q) = %d bytes, %q, %v; want %d bytes of %s", url, len(body), ct, ok, len(want), name)
		}
		// The "/static/*" route parameter form works too.
		if _, _, ok := Lookup(strings.TrimPrefix(url, Prefix)); !ok {
			t.Errorf("Lookup(%q) without prefix not found", url)
		}
	}
}

func TestHashedName(t *testing.T) {
	for name, want := range map[string]string{
		"css/app.css":        "css/app.HASH.css",
		"vendor/htmx.min.js": "vendor/htmx.min.HASH.js",
		"img/favicon.svg":    "img/favicon.HASH.svg",
		"noext":              "noext.HASH",
	} {
		body := []byte(name)
		sum := sha256.Sum256(body)
		want = strings.Replace(want, "HASH", hex.EncodeToString(sum[:])[:10], 1)
		if got := hashedName(name, body); got != want {
			t.Errorf("hashedName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestLookupRejects(t *testing.T) {
	url := Path("css/app.css")
	i := strings.LastIndex(url, ".")
	hash := url[i-10 : i]
	wrong := "0000000000"
	if hash == wrong {
		wrong = "1111111111"
	}
	for _, bad := range []string{
		"",
		"/",
		Prefix,
		Prefix + "css/app.css",               // unhashed
		"/css/app.css",                       // unhashed, no prefix
		strings.Replace(url, hash, wrong, 1), // wrong hash
		strings.Replace(url, hash, strings.ToUpper(hash), 1), // hash is lower-case hex only
		strings.Replace(url, hash, hash[:9], 1),              // short hash
		url + "x",
		url + "?v=1",
		strings.TrimPrefix(url, "/static"), // wrong prefix
		Prefix + "../static.go",
		Prefix + "vendor/htmx.LICENSE", // kept in the repo, not served
	} {
		if body, ct, ok := Lookup(bad); ok || body != nil || ct != "" {
			t.Errorf("Lookup(%q) = %d bytes, %q, %v; want not found", bad, len(body), ct, ok)
		}
	}
}

func TestPathPanicsOnUnknownAsset(t *testing.T) {
	for _, name := range []string{"css/missing.css", "css/app.CSS", "", "css"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Path(%q) did not panic", name)
				}
			}()
			Path(name)
		}()
	}
}

func TestContentTypes(t *testing.T) {
	for name, want := range map[string]string{
		"css/app.css":        "text/css; charset=utf-8",
		"js/app.js":          "text/javascript; charset=utf-8",
		"vendor/htmx.min.js": "text/javascript; charset=utf-8",
		"img/favicon.svg":    "image/svg+xml",
	} {
		if _, ct, ok := Lookup(Path(name)); !ok || ct != want {
			t.Errorf("%s: content type %q (ok %v), want %q", name, ct, ok, want)
		}
	}
}

// Guards on the asset contents that a careless edit could break.
func TestAssetContents(t *testing.T) {
	read := func(name string) string {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if js := read("vendor/htmx.min.js"); !strings.Contains(js, `version:"2.0.11"`) {
		t.Error("vendored htmx is not version 2.0.11")
	}
	css := read("css/app.css")
	// Hashed URLs: a url() in the CSS would point at an unhashed, unservable path.
	if strings.Contains(css, "url(") {
		t.Error("app.css must not reference other files with url()")
	}
	// htmx's injected indicator style is disabled (CSP), so the CSS must provide it.
	for _, sel := range []string{".htmx-indicator", ".htmx-request .htmx-indicator", ".htmx-request.htmx-indicator"} {
		if !strings.Contains(css, sel) {
			t.Errorf("app.css lacks %s", sel)
		}
	}
	if js := read("js/app.js"); strings.Contains(js, "innerHTML") || strings.Contains(js, "eval(") {
		t.Error("app.js must not use innerHTML or eval")
	}
	if svg := read("img/favicon.svg"); !strings.HasPrefix(svg, "<svg") {
		t.Error("favicon.svg does not start with <svg")
	}
}

// Text assets have a compressed form that is their body; an image does not.
func TestGzippedIsTheBody(t *testing.T) {
	for _, name := range []string{"css/app.css", "js/app.js", "vendor/htmx.min.js"} {
		gz, ok := Gzipped(Path(name))
		if !ok {
			t.Errorf("%s: no compressed form", name)
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(zr)
		want, _, _ := Lookup(Path(name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: decompressed to %d bytes (%v), want %d", name, len(got), err, len(want))
		}
		if again, _ := Gzipped(strings.TrimPrefix(Path(name), Prefix)); &again[0] != &gz[0] {
			t.Errorf("%s: compressed again on a second request", name)
		}
	}
	if _, ok := Gzipped("/static/css/app.css"); ok {
		t.Error("an unhashed path has a compressed form")
	}
}
