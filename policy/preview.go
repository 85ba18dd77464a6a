package policy

// Edit is one pending change of a role's permissions: Grant gives Perm to Role, otherwise it
// takes Perm away.
type Edit struct {
	Role  string
	Perm  Permission
	Grant bool
}

// Access is whether someone holds a permission now, and would after an edit.
type Access struct {
	Perm       Permission
	Now, After bool
}

// Changed reports whether the edit changes this access.
func (a Access) Changed() bool { return a.Now != a.After }

// Preview is what an edit would change for someone who holds roles (one role, or a person's
// roles): for each of perms, whether they hold it now and after the edit. The edit touches
// only its own role, so a permission taken from it is kept through any other of the roles
// that grants it. A nil edit changes nothing.
func (s *Set) Preview(roles []string, edit *Edit, perms []Permission) []Access {
	out := make([]Access, 0, len(perms))
	for _, p := range perms {
		out = append(out, Access{Perm: p, Now: s.Allowed(roles, p), After: s.allowedAfter(roles, edit, p)})
	}
	return out
}

func (s *Set) allowedAfter(roles []string, edit *Edit, p Permission) bool {
	for _, r := range roles {
		if edit != nil && r == edit.Role && p == edit.Perm {
			if edit.Grant {
				return true
			}
			continue
		}
		if s.Allowed([]string{r}, p) {
			return true
		}
	}
	return false
}
