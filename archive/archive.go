// Package archive writes a whole tenant to one zip file and recreates a tenant from one: every
// table as JSON Lines (the faithful copy) and as CSV (for spreadsheets), every attachment's
// bytes, the audit log with its chain head, a manifest of row counts and SHA-256 checksums,
// and a README saying what each file is.
//
// Writing reads one snapshot (a read-only, repeatable-read transaction), so it needs no write
// access to the tenant and works while the tenant cannot be changed, and signs the manifest
// with a key derived from the deployment's secret. Reading checks every file's checksum
// against the manifest, the manifest's signature and the audit log's chain and head before
// anything is created; loading needs no database superuser.
package archive

import "time"

// Format names the archive layout; an archive of another format is refused.
const Format = "outlay-tenant-archive/1"

// Paths inside an archive.
const (
	ManifestPath = "manifest.json"
	ReadmePath   = "README.txt"
	HeadPath     = "audit/head.json"
	tablesDir    = "tables/"
	csvDir       = "csv/"
	blobsDir     = "attachments/"
)

// Manifest describes an archive: what it holds and every file's checksum.
type Manifest struct {
	Format    string    `json:"format"`
	Tenant    string    `json:"tenant"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// Schema is the tenant database's migration version: an archive is imported into a
	// deployment at the same version.
	Schema    int64      `json:"schema_version"`
	Tables    []Table    `json:"tables"`
	AuditHead *AuditHead `json:"audit_head,omitempty"`
	Files     []File     `json:"files"`
	Blobs     int        `json:"attachments"`
	// Signature is the HMAC-SHA256 (hex) of the manifest, with this field empty, under a key
	// derived from the writing deployment's OUTLAY_SECRET_KEY. The manifest holds every
	// file's checksum, so it vouches for the whole archive: without the secret nobody can
	// change a row, cut off the audit log's newest rows or add a file and have the archive
	// loaded.
	Signature string `json:"signature"`
}

// Table is one table of the tenant database in the archive.
type Table struct {
	Name    string   `json:"name"`
	Rows    int64    `json:"rows"`
	Columns []string `json:"columns"`
	JSONL   string   `json:"jsonl"`
	CSV     string   `json:"csv"`
}

// AuditHead is the newest row of the audit log when the archive was written.
type AuditHead struct {
	Row  int64  `json:"row"`
	Hash string `json:"hash"` // hex
}

// File is one file of the archive with its size and SHA-256 (hex).
type File struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// skipped are tables not archived: the migration bookkeeping (the importing deployment's
// own migrations make it), sign-in sessions (a session is not carried to another deployment)
// and the audit log's commit-time staging tables (empty outside a transaction).
var skipped = map[string]bool{"goose_db_version": true, "sessions": true, "audit_pending": true, "audit_seal": true}

// leftOut are the rows of archived tables that are not archived: by table, a condition on its
// row t. A mail carrying a set-password or reset link (secret) holds the link in plain text
// until it is sent or given up on, when the outbox erases its body: one that still holds it is
// left out, so no archive carries a live link. Leaving the row out, not blanking its body, is
// what keeps the copy an archive makes right: a mail still waiting there would be sent, and
// sent empty. The person asks for a new link. A secret mail whose body was erased (the record
// that it went out) is archived like any other, and no other row points at a secret mail.
var leftOut = map[string]string{"mail_outbox": "t.secret AND (t.body <> '' OR t.html <> '')"}
