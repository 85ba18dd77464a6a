package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay"
	"outlay/audit"
	"outlay/models"
	"outlay/tenancy"
	"outlay/views/tenantexport"
)

const exportLinkPurpose = "tenant-export"

// exportDownloadPath is the signed, time-limited address of an export's archive.
func (s *Server) exportDownloadPath(slug string, e tenancy.Export) (string, time.Time) {
	expires := e.FinishedAt.Add(tenancy.ExportLinkLife)
	exp := strconv.FormatInt(expires.Unix(), 10)
	id := strconv.FormatInt(e.ID, 10)
	return tenantexport.Path + "/" + id + "/download?expires=" + exp + "&sig=" + s.signer.Sign(exportLinkPurpose, slug, id, exp), expires
}

// tenantExportPage lists the tenant's exports with their progress and download links.
func (s *Server) tenantExportPage(c *fiber.Ctx) error {
	ctx, slug := c.UserContext(), tenantOf(c).Slug
	list, err := s.registry.TenantExports(ctx, slug, 20)
	if err != nil {
		return err
	}
	loc, err := s.orgZone(c)
	if err != nil {
		return err
	}
	p := tenantexport.Page{CSRF: s.csrfToken(c)}
	for _, e := range list {
		r := tenantexport.Row{ID: e.ID, Requested: e.CreatedAt.In(loc).Format("2 Jan 2006 15:04"), By: e.RequestedByLabel, Status: e.Status, Error: e.Error}
		switch e.Status {
		case tenancy.ExportQueued, tenancy.ExportRunning:
			p.Pending = true
		case tenancy.ExportReady:
			r.Summary = fmt.Sprintf("%d tables, %d rows, %d attachments, %.1f MB", e.Tables, e.Rows, e.Attachments, float64(e.SizeBytes)/(1<<20))
			if href, expires := s.exportDownloadPath(slug, e); time.Now().Before(expires) {
				r.DownloadURL, r.Expires = href, expires.In(loc).Format("2 Jan 2006 15:04")
			} else {
				r.Expired = true
			}
		case tenancy.ExportExpired:
			r.Expired = true
		}
		p.Rows = append(p.Rows, r)
	}
	return s.render(c, http.StatusOK, page{Title: "Export everything", Nav: tenantexport.Path, Content: tenantexport.ExportPage(p),
		Partials: partials{tenantexport.ListID: tenantexport.List(p)}})
}

// exportEverything queues the archive of the whole tenant.
func (s *Server) exportEverything(c *fiber.Ctx) error {
	if s.jobs == nil {
		return fmt.Errorf("no job queue: exports cannot run")
	}
	if refused, answer := s.exportRefused(c); refused {
		return answer
	}
	if _, err := s.jobs.ExportTenant(c.UserContext(), tenantOf(c).Slug, audit.ActorFrom(c.UserContext())); err != nil {
		return err
	}
	s.setFlash(c, "success", "The export has started. You will be told here when it is ready.")
	return redirect(c, tenantexport.Path)
}

// exportRefused answers, with the reason on the export page, someone whose permission to
// export does not cover everyone the archive holds (models.Grantor.MayExportEverything).
func (s *Server) exportRefused(c *fiber.Ctx) (refused bool, answer error) {
	err := grantor(c).MayExportEverything(c.UserContext(), tenantDB(c))
	if r, ok := models.AsGrantRefused(err); ok {
		s.setFlash(c, "error", r.Message)
		return true, redirect(c, tenantexport.Path)
	}
	return err != nil, err
}

// downloadTenantExport sends an export's archive, on a link signed for this tenant and export
// that has not expired.
func (s *Server) downloadTenantExport(c *fiber.Ctx) error {
	slug := tenantOf(c).Slug
	id, err := pathID(c, "id")
	if err != nil {
		return outlay.ErrNotFound
	}
	exp := c.Query("expires")
	expires, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !s.signer.Verify(c.Query("sig"), exportLinkPurpose, slug, strconv.FormatInt(id, 10), exp) {
		return outlay.ErrNotFound
	}
	if time.Now().Unix() >= expires {
		return outlay.NotFound("This download link has expired: export again from the export page.")
	}
	e, err := s.registry.TenantExport(c.UserContext(), slug, id)
	if err != nil {
		return err
	}
	if e.Status != tenancy.ExportReady {
		return outlay.ErrNotFound
	}
	// Checked at the download too: the page lists everyone's exports, an admin's among them.
	if refused, answer := s.exportRefused(c); refused {
		return answer
	}
	r, err := s.blobs.Open(c.UserContext(), e.BlobKey)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-everything-%s.zip"`, slug, e.FinishedAt.UTC().Format("20060102-150405")))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendStream(r, int(e.SizeBytes))
}
