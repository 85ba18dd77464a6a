package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"

	"outlay/archive"
	"outlay/audit"
	"outlay/config"
	"outlay/storage"
	"outlay/tenancy"
)

// cmdTenantExport writes a tenant's whole archive to a file or a bucket URL.
func cmdTenantExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	slug, args := splitPositional(args)
	var to string
	cfg, fs, err := parseConfig("tenant export", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&to, "to", "", "where to write the archive: a file, or a bucket URL such as s3://bucket/path/acme.zip (required)")
	})
	if err != nil {
		return err
	}
	if slug == "" && fs.NArg() > 0 {
		slug = fs.Arg(0)
	}
	if slug == "" || to == "" {
		return errors.New("usage: outlay tenant export <slug> --to FILE|URL")
	}
	if err := cfg.RequireSecretKey(); err != nil {
		return err
	}
	src, done, err := openArchiveSource(ctx, cfg, slug, stderr)
	if err != nil {
		return err
	}
	defer done()
	w, finish, err := createDestination(ctx, to)
	if err != nil {
		return err
	}
	m, err := archive.Write(ctx, src, w)
	if err = finish(err); err != nil {
		return fmt.Errorf("export %s: %w", slug, err)
	}
	rows := int64(0)
	for _, t := range m.Tables {
		rows += t.Rows
	}
	fmt.Fprintf(stdout, "tenant %s exported to %s: %d tables, %d rows, %d attachments\n", slug, to, len(m.Tables), rows, m.Blobs)
	return nil
}

// openArchiveSource opens what an archive of tenant slug is written from: its database and
// the blob store. It works whatever the tenant's status: writing an archive only reads.
func openArchiveSource(ctx context.Context, cfg *config.Config, slug string, stderr io.Writer) (archive.Source, func(), error) {
	registry, err := openRegistry(ctx, cfg, stderr)
	if err != nil {
		return archive.Source{}, nil, err
	}
	t, err := registry.Find(slug, "export")
	registry.Close()
	if err != nil {
		return archive.Source{}, nil, err
	}
	db, closeDB, err := tenancy.OpenOne(ctx, t, cfg.SecretKey)
	if err != nil {
		return archive.Source{}, nil, err
	}
	blobs, err := storage.Open(ctx, cfg.BlobURL)
	if err != nil {
		closeDB()
		return archive.Source{}, nil, err
	}
	return archive.Source{Slug: t.Slug, Name: t.Name, DB: db, Blobs: blobs, Secret: cfg.SecretKey}, func() { blobs.Close(); closeDB() }, nil
}

// createDestination opens where an archive goes: a bucket URL (s3://, gs://, file://) with the
// object's key as its path, or a file. finish completes the write, or on an earlier error
// removes what was written, and returns the first error.
func createDestination(ctx context.Context, to string) (io.Writer, func(error) error, error) {
	if u, err := url.Parse(to); err == nil && strings.Contains(to, "://") {
		key := strings.TrimPrefix(u.Path, "/")
		if key == "" {
			return nil, nil, fmt.Errorf("--to %s names no object: add its path, such as s3://bucket/acme.zip", to)
		}
		u.Path = ""
		if u.Scheme == "file" {
			u.Path, key = filepath.Dir("/"+key), filepath.Base(key)
		}
		bucket, err := blob.OpenBucket(ctx, u.String())
		if err != nil {
			return nil, nil, err
		}
		wctx, cancel := context.WithCancel(ctx)
		w, err := bucket.NewWriter(wctx, key, &blob.WriterOptions{ContentType: "application/zip"})
		if err != nil {
			cancel()
			bucket.Close()
			return nil, nil, err
		}
		return w, func(err error) error {
			if err != nil {
				cancel() // abandons the upload
			}
			cerr := w.Close()
			cancel()
			bucket.Close()
			return errors.Join(err, cerr)
		}, nil
	}
	f, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, nil, err
	}
	return f, func(err error) error {
		err = errors.Join(err, f.Close())
		if err != nil {
			os.Remove(to)
		}
		return err
	}, nil
}

// cmdTenantImportArchive creates tenant slug from an archive, after checking every file of
// it against the manifest's checksums and its audit log against its recorded head.
func cmdTenantImportArchive(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	slug, args := splitPositional(args)
	cfg, fs, err := parseConfig("tenant import-archive", args, stderr, nil)
	if err != nil {
		return err
	}
	if slug == "" && fs.NArg() > 0 {
		slug, args = fs.Arg(0), fs.Args()[1:]
	} else {
		args = fs.Args()
	}
	if slug == "" || len(args) != 1 {
		return errors.New("usage: outlay tenant import-archive <slug> FILE")
	}
	if err := cfg.RequireSecretKey(); err != nil {
		return err
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	a, err := archive.Open(f, st.Size())
	if err == nil {
		err = a.CheckAudit(cfg.SecretKey)
	}
	if err != nil {
		return fmt.Errorf("%s refused, nothing was created: %w", args[0], err)
	}
	registry, blobs, closeAll, err := openRegistryAndBlobs(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeAll()
	t, err := registry.Create(ctx, tenancy.CreateTenant{Slug: slug, Name: a.Manifest.Name}, func(ctx context.Context, t tenancy.Tenant) error {
		db, closeDB, err := tenancy.OpenOne(ctx, t, cfg.SecretKey)
		if err != nil {
			return err
		}
		defer closeDB()
		if err := a.Load(audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "outlay tenant import-archive"}), db, t.Slug, blobs); err != nil {
			return err
		}
		// Its head recorded at once, as a restore's and a copy's are: from now on rows cut
		// off the end of its log are found, not only once a server has used it.
		_, _, err = registry.RecordAuditHead(ctx, db, t.Slug, cfg.SecretKey)
		return err
	})
	if err != nil {
		return explain(err)
	}
	rows := int64(0)
	for _, tb := range a.Manifest.Tables {
		rows += tb.Rows
	}
	fmt.Fprintf(stdout, "tenant %s created from %s (tenant %s, written %s): %d tables, %d rows, %d attachments: %s\n",
		t.Slug, args[0], a.Manifest.Tenant, a.Manifest.CreatedAt.Format("2006-01-02 15:04 MST"), len(a.Manifest.Tables), rows, a.Manifest.Blobs,
		cfg.TenantURL(t.Slug, "/login"))
	return nil
}
