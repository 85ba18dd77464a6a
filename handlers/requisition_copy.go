package handlers

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"outlay/models"
	"outlay/views/requisitions"
)

// copyRequisition starts a new draft, owned by the viewer, from a requisition they may see:
// its header and lines, without what is archived (or a vendor that takes no new orders), which
// the flash names. It is saved through the same path as a draft typed in the form, and opens
// for editing.
func (s *Server) copyRequisition(c *fiber.Ctx) error {
	src, err := s.requisitionFromPath(c)
	if err != nil {
		return err
	}
	in, dropped, err := s.copyInput(c, src)
	if err != nil {
		return err
	}
	r, err := models.SaveRequisition(c.UserContext(), tenantDB(c), currentUser(c).UserID, 0, in, false)
	if err != nil {
		return err
	}
	msg := "This is a new draft copied from " + requisitionName(src) + ". Check it and submit it when it is ready."
	if len(dropped) > 0 {
		msg += " Left out because no longer in use: " + strings.Join(dropped, "; ") + "."
	}
	s.setFlash(c, "info", msg)
	return redirect(c, requisitions.Path(r.ID))
}

func requisitionName(d *models.RequisitionDetail) string {
	if d.Number != nil {
		return *d.Number
	}
	return "your draft"
}

// copyInput is src as a new form would hold it, with what may no longer be chosen left out
// and named in dropped. A needed-by date already past is left out too, silently.
func (s *Server) copyInput(c *fiber.Ctx, src *models.RequisitionDetail) (models.RequisitionInput, []string, error) {
	ctx, db := c.UserContext(), tenantDB(c)
	in := formFromStored(src)
	in.FormKey, in.FormVersion = newFormKey(), models.FormVersion{} // a new requisition, not an edit of src
	if src.NeededBy != nil && src.NeededBy.Before(time.Now().UTC().Truncate(24*time.Hour)) {
		in.NeededBy = ""
	}
	var dropped []string
	depts, err := models.Departments(ctx, db)
	if err != nil {
		return in, nil, err
	}
	vendors, err := models.ActiveVendors(ctx, db)
	if err != nil {
		return in, nil, err
	}
	locations, err := models.ActiveLocations(ctx, db)
	if err != nil {
		return in, nil, err
	}
	accounts, err := models.ActiveGLAccounts(ctx, db)
	if err != nil {
		return in, nil, err
	}
	for _, f := range []struct {
		value *string
		ok    map[string]bool
		what  string
	}{{&in.Department, idSet(depts, func(d models.Department) int64 { return d.ID }), "the department " + src.DepartmentName},
		{&in.Vendor, idSet(vendors, func(v models.Vendor) int64 { return v.ID }), "the vendor " + src.VendorName},
		{&in.Location, idSet(locations, func(l models.Location) int64 { return l.ID }), "the delivery location " + src.LocationName}} {
		if *f.value != "" && !f.ok[*f.value] {
			dropped, *f.value = append(dropped, f.what), ""
		}
	}
	gl := idSet(accounts, func(a models.GLAccount) int64 { return a.ID })
	for i := range in.Lines {
		if in.Lines[i].GLAccount != "" && !gl[in.Lines[i].GLAccount] {
			l := src.LineDetails[i]
			dropped = append(dropped, fmt.Sprintf("the GL account %s %s of line %d", l.GLCode, l.GLName, i+1))
			in.Lines[i].GLAccount = ""
		}
	}
	return in, dropped, nil
}

// idSet is the ids of xs as form values.
func idSet[T any](xs []T, id func(T) int64) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[strconv.FormatInt(id(x), 10)] = true
	}
	return m
}
