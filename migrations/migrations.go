// Package migrations embeds the versioned SQL migrations of the control plane and of every
// tenant database, so the binary carries its schema with it.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed control/*.sql
var control embed.FS

//go:embed tenant/*.sql
var tenant embed.FS

// Control returns the control-plane migrations (the tenant registry and platform tables).
func Control() fs.FS { return mustSub(control, "control") }

// Tenant returns the migrations every tenant database runs.
func Tenant() fs.FS { return mustSub(tenant, "tenant") }

func mustSub(f embed.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // The folder is embedded at build time; a failure here is a build mistake.
	}
	return sub
}
