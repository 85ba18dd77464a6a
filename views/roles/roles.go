// Package roles holds the roles and permissions pages: the roles × permissions matrix and the
// access preview.
package roles

import (
	"strings"

	"outlay/views"
)

// Paths of the roles pages.
const (
	ListPath    = "/admin/roles"
	PreviewPath = ListPath + "/preview"
	// PersonLookupPath finds the person whose access is previewed.
	PersonLookupPath = "/lookup/people/roles"
)

// Page is the roles and permissions page.
type Page struct {
	CSRFToken string
	Roles     []Column
	Groups    []Group
	CanEdit   bool
	CanCreate bool
	CanDelete bool
	NewRole   views.FieldErrors
	NewLabel  string
	// Renaming is the role whose rename was refused, RenameLabel the name typed for it and
	// RenameError why it was refused.
	Renaming    string
	RenameLabel string
	RenameError string
	// Templates are ready-made roles to start from; NewTemplate is the one chosen.
	Templates   []Template
	NewTemplate string
	// Chosen is the role whose permissions the phone's list shows.
	Chosen string
}

// RolePermissionsID is the phone's list of one role's permissions, replaced when another
// role is chosen.
const RolePermissionsID = "role-permissions"

// ChosenGroups are the permissions of the chosen role, area by area: the matrix's column of
// that role.
func (p Page) ChosenGroups() []Group {
	col := -1
	for i, r := range p.Roles {
		if r.Name == p.Chosen {
			col = i
		}
	}
	if col < 0 {
		return nil
	}
	out := make([]Group, len(p.Groups))
	for i, g := range p.Groups {
		out[i].Area = g.Area
		for _, row := range g.Rows {
			out[i].Rows = append(out[i].Rows, Row{Label: row.Label, Cells: []Cell{row.Cells[col]}})
		}
	}
	return out
}

// ChosenLabel is the chosen role's name as people read it.
func (p Page) ChosenLabel() string {
	for _, r := range p.Roles {
		if r.Name == p.Chosen {
			return r.Label
		}
	}
	return ""
}

// RenameValue is the name the rename field of role shows: what was typed when its rename was
// refused, otherwise its name.
func (p Page) RenameValue(role Column) string {
	if role.Name == p.Renaming {
		return p.RenameLabel
	}
	return role.Label
}

// RenameErrors are the messages beside role's rename field, keyed by RenameField.
func (p Page) RenameErrors(role Column) views.FieldErrors {
	if role.Name != p.Renaming || p.RenameError == "" {
		return views.FieldErrors{}
	}
	return views.FieldErrors{RenameField(role.Name): p.RenameError}
}

// RenameField is the id of role's rename field.
func RenameField(role string) string { return "label-" + role }

// Template is a ready-made role offered when adding one.
type Template struct {
	Key     string
	Label   string
	Summary string
}

// Column is one role of the matrix.
type Column struct {
	Name    string
	Label   string
	Builtin bool
	Members int
	InReach bool // the viewer holds every permission of the role, so may delete it
}

// Group is the permissions of one area of the product ("Buying", "Setup").
type Group struct {
	Area string
	Rows []Row
}

// Row is one permission of the matrix.
type Row struct {
	Label string // what it lets people do: "Edit users"
	Cells []Cell
}

// Cell is one checkbox: whether a role holds a permission.
type Cell struct {
	Role      string
	RoleLabel string
	Object    string
	Action    string
	PermLabel string
	Granted   bool
	CanEdit   bool
}

// Vals is the cell's hx-vals payload.
func (c Cell) Vals() string {
	return `{"object":"` + c.Object + `","action":"` + c.Action + `"}`
}

// ID is the id of the cell's checkbox in view ("matrix" or "list"): the same in the answer
// that replaces it, so that htmx gives the focus back to the box the keyboard was on.
func (c Cell) ID(view string) string {
	return "perm-" + view + "-" + c.Role + "-" + strings.ReplaceAll(c.Object, ".", "-") + "-" + c.Action
}

// ListVals are Vals for the checkbox of the phone's list, whose answer is a list item.
func (c Cell) ListVals() string {
	return `{"object":"` + c.Object + `","action":"` + c.Action + `","view":"list"}`
}

// Preview shows what a role or a person can reach, now and after a pending edit.
type Preview struct {
	Roles []Column
	Perms []Option
	Role  string
	// User is the chosen person's id ("" for none) and UserName the name they are shown by.
	User, UserName string
	Errors         views.FieldErrors
	Change         string // "object:action" of the pending edit
	Grant          bool
	Subject        string // who is previewed, as a phrase
	Rows           []PreviewRow
	Changed        int
	HasSubject     bool
}

// Option is a permission to pick.
type Option struct {
	Value string
	Label string
}

// PreviewRow is one permission in the preview.
type PreviewRow struct {
	Label   string
	Pages   string
	Now     bool
	After   bool
	Changed bool
}
