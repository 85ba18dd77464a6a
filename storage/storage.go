// Package storage keeps attachment bytes in a blob store (gocloud.dev/blob): a local folder by
// default, S3 or Google Cloud Storage by URL. Keys are "<tenant slug>/<sha256 hex>", so a
// tenant's files sit under its own prefix and identical content is stored once.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/gcerrors"

	// The S3 and GCS drivers register the s3:// and gs:// URL schemes.
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"
)

// ErrNotFound means no blob has the key.
var ErrNotFound = errors.New("blob not found")

// Store is the attachment blob store.
type Store struct {
	bucket *blob.Bucket
	dir    string // the folder of a local store (file://), "" for a bucket
}

// Open opens the bucket at blobURL: file://<folder> (relative folders such as
// file://./.outlay/blobs are resolved against the working directory and created), s3://bucket
// or gs://bucket.
func Open(ctx context.Context, blobURL string) (*Store, error) {
	b, err := OpenBucket(ctx, blobURL)
	if err != nil {
		return nil, fmt.Errorf("OUTLAY_BLOB_URL: %w", err)
	}
	dir, _, _ := LocalFolder(blobURL) // OpenBucket read it already
	return &Store{bucket: b, dir: dir}, nil
}

// OpenIfThere opens the store at blobURL as Open does, but finds nothing (nil) where a local
// store's folder does not exist, rather than making it: a command that only reads or deletes
// (a purge) run from another folder than the store's relative one leaves no empty folder there.
func OpenIfThere(ctx context.Context, blobURL string) (*Store, error) {
	if FolderMissing(blobURL) {
		return nil, nil
	}
	return Open(ctx, blobURL)
}

// FolderMissing reports whether blobURL names a local store (file://) whose folder does not
// exist; a bucket, or a URL that is not valid, is never missing here.
func FolderMissing(blobURL string) bool {
	dir, local, err := LocalFolder(blobURL)
	if err != nil || !local {
		return false
	}
	_, err = os.Stat(dir)
	return errors.Is(err, fs.ErrNotExist)
}

// OpenBucket opens the bucket at a blob URL as Open does, for stores whose keys are not
// attachments' (backups write named files).
func OpenBucket(ctx context.Context, blobURL string) (*blob.Bucket, error) {
	dir, local, err := LocalFolder(blobURL)
	if err != nil {
		return nil, err
	}
	if local {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create %s: %w", dir, err)
		}
		// Temporary files go beside the blobs, so the final rename never crosses devices.
		return fileblob.OpenBucket(dir, &fileblob.Options{NoTempDir: true, DirFileMode: 0o750})
	}
	return blob.OpenBucket(ctx, blobURL)
}

// LocalFolder is the folder a file:// blob URL names, made absolute; local is false for a
// bucket (s3://, gs://).
func LocalFolder(blobURL string) (dir string, local bool, err error) {
	u, err := url.Parse(blobURL)
	if err != nil || u.Scheme == "" {
		return "", false, fmt.Errorf("%q must be a URL such as file://./.outlay/blobs, s3://bucket or gs://bucket", blobURL)
	}
	if u.Scheme != "file" {
		return "", false, nil
	}
	dir = u.Host + u.Path
	if dir == "" {
		return "", false, fmt.Errorf("%q names no folder", blobURL)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return "", false, fmt.Errorf("%q: %w", blobURL, err)
	}
	return dir, true, nil
}

// CanonicalURL is blobURL with its local folder made absolute (file:///srv/outlay/blobs), so
// that a URL recorded with what was written there names the same folder for a process
// started in another one; a bucket's URL, or one that is not valid, is returned as it is.
func CanonicalURL(blobURL string) string {
	dir, local, err := LocalFolder(blobURL)
	if err != nil || !local {
		return blobURL
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

// RemoveEmptyFolders removes the folder rel (slash-separated, inside root) and every folder in
// it that holds no file, deepest first: a local store keeps the folders of its keys after
// their last file is deleted, where a bucket has no folders to leave behind. A folder that
// still holds a file stays, and one already gone is no error.
func RemoveEmptyFolders(root, rel string) error {
	for _, part := range strings.Split(rel, "/") {
		if part == "" || part == "." || part == ".." || strings.ContainsRune(part, filepath.Separator) {
			return fmt.Errorf("storage: %q is not a folder inside the store", rel)
		}
	}
	top := filepath.Join(root, filepath.FromSlash(rel))
	var folders []string
	err := filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			folders = append(folders, path)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: look through %s: %w", top, err)
	}
	for i := len(folders) - 1; i >= 0; i-- {
		entries, err := os.ReadDir(folders[i])
		switch {
		case errors.Is(err, fs.ErrNotExist), err == nil && len(entries) > 0:
			continue
		case err == nil:
			err = os.Remove(folders[i])
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("storage: remove the empty folder %s: %w", folders[i], err)
		}
	}
	return nil
}

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }

var (
	validSlug = regexp.MustCompile(`^[a-z0-9-]{1,63}$`)
	validHash = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Key is where content with the given SHA-256 (hex) of a tenant is stored.
func Key(tenantSlug, sha256Hex string) string { return tenantSlug + "/" + sha256Hex }

// checkKey refuses keys that Key did not make, so no caller can reach outside a tenant prefix.
func checkKey(key string) error {
	slug, hash, ok := strings.Cut(key, "/")
	if !ok || !validSlug.MatchString(slug) || !validHash.MatchString(hash) {
		return fmt.Errorf("storage: malformed key %q", key)
	}
	return nil
}

// Put stores r's bytes under key, unless a blob with that key is already there: keys are
// content hashes, so it would hold the same bytes.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, contentType string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if ok, err := s.bucket.Exists(ctx, key); err != nil {
		return fmt.Errorf("storage: look for %s: %w", key, err)
	} else if ok {
		return nil
	}
	w, err := s.bucket.NewWriter(ctx, key, &blob.WriterOptions{ContentType: contentType})
	if err != nil {
		return fmt.Errorf("storage: write %s: %w", key, err)
	}
	if _, err := io.Copy(w, r); err != nil {
		_ = w.Close()
		return fmt.Errorf("storage: write %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("storage: write %s: %w", key, err)
	}
	return nil
}

// Open streams the blob under key; the caller closes it.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	r, err := s.bucket.NewReader(ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("storage: read %s: %w", key, err)
	}
	return r, nil
}

// Exists reports whether a blob is stored under key.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	return s.bucket.Exists(ctx, key)
}

// Delete removes the blob under key; a missing blob is not an error. Callers make sure no
// attachment row still names the key, since identical files share it.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	err := s.bucket.Delete(ctx, key)
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("storage: delete %s: %w", key, err)
	}
	return nil
}

// DeleteTenant removes every blob under a tenant's prefix, for a purge, and in a local store
// the tenant's folder with them.
func (s *Store) DeleteTenant(ctx context.Context, tenantSlug string) (int, error) {
	keys, err := s.Keys(ctx, tenantSlug)
	for n, key := range keys {
		if err := s.Delete(ctx, key); err != nil {
			return n, err
		}
	}
	if err == nil && s.dir != "" {
		err = RemoveEmptyFolders(s.dir, tenantSlug)
	}
	return len(keys), err
}

// Keys lists the keys of every blob under a tenant's prefix.
func (s *Store) Keys(ctx context.Context, tenantSlug string) ([]string, error) {
	if !validSlug.MatchString(tenantSlug) {
		return nil, fmt.Errorf("storage: malformed tenant slug %q", tenantSlug)
	}
	it := s.bucket.List(&blob.ListOptions{Prefix: tenantSlug + "/"})
	var keys []string
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return keys, nil
		}
		if err != nil {
			return keys, fmt.Errorf("storage: list %s: %w", tenantSlug, err)
		}
		keys = append(keys, obj.Key)
	}
}
