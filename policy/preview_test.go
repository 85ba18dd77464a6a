package policy_test

import (
	"context"
	"slices"
	"testing"

	"outlay/internal/dbtest"
	"outlay/policy"
)

// The access preview of a role edit, against a tenant's real policy: granting a permission a
// role lacks, or taking one it holds, changes exactly that permission for the role and for a
// person holding it, unless another of the person's roles grants the permission too.
func TestPreviewShowsWhatARoleEditChanges(t *testing.T) {
	t.Parallel()
	env, acme := dbtest.NewTenant(t)
	set, err := policy.Load(context.Background(), env.DB(t, acme))
	if err != nil {
		t.Fatal(err)
	}
	grants := set.Grants()
	var all []policy.Permission
	for _, ps := range grants {
		for _, p := range ps {
			if !slices.Contains(all, p) {
				all = append(all, p)
			}
		}
	}
	// A person who is a requester and holds another built-in role that shares some of the
	// requester's permissions and not others.
	requester := grants[policy.RoleRequester]
	var other string
	var lacked, shared, own *policy.Permission
	for _, role := range policy.BuiltinRoles() {
		lacked, shared, own = nil, nil, nil
		for i, p := range all {
			switch inRequester, inOther := slices.Contains(requester, p), slices.Contains(grants[role], p); {
			case !inRequester && lacked == nil:
				lacked = &all[i]
			case inRequester && inOther && shared == nil:
				shared = &all[i]
			case inRequester && !inOther && own == nil:
				own = &all[i]
			}
		}
		if role != policy.RoleRequester && lacked != nil && shared != nil && own != nil {
			other = role
			break
		}
	}
	if other == "" {
		t.Fatal("no built-in role shares some of the requester's permissions and not others")
	}
	changed := func(access []policy.Access) []policy.Permission {
		var out []policy.Permission
		for _, a := range access {
			if a.Changed() {
				out = append(out, a.Perm)
			}
		}
		return out
	}
	person := []string{policy.RoleRequester, other}
	for _, c := range []struct {
		what  string
		roles []string
		edit  *policy.Edit
		want  []policy.Permission
	}{
		{"no edit", person, nil, nil},
		{"granting the role a permission it lacks", []string{policy.RoleRequester}, &policy.Edit{Role: policy.RoleRequester, Perm: *lacked, Grant: true}, []policy.Permission{*lacked}},
		{"taking away one it holds", []string{policy.RoleRequester}, &policy.Edit{Role: policy.RoleRequester, Perm: *own}, []policy.Permission{*own}},
		{"taking away one it holds, from a person who holds it only through it", person, &policy.Edit{Role: policy.RoleRequester, Perm: *own}, []policy.Permission{*own}},
		{"taking away one another of the person's roles grants", person, &policy.Edit{Role: policy.RoleRequester, Perm: *shared}, nil},
		{"granting one the role already holds", []string{policy.RoleRequester}, &policy.Edit{Role: policy.RoleRequester, Perm: *own, Grant: true}, nil},
		{"an edit of a role the person does not hold", []string{policy.RoleRequester}, &policy.Edit{Role: policy.RoleAdmin, Perm: *lacked, Grant: true}, nil},
	} {
		access := set.Preview(c.roles, c.edit, all)
		if len(access) != len(all) {
			t.Fatalf("%s: %d rows for %d permissions", c.what, len(access), len(all))
		}
		for _, a := range access {
			if a.Now != set.Allowed(c.roles, a.Perm) {
				t.Errorf("%s: %v now %v, but the policy says %v", c.what, a.Perm, a.Now, !a.Now)
			}
		}
		if got := changed(access); !slices.Equal(got, c.want) {
			t.Errorf("%s: changes %v, want %v", c.what, got, c.want)
		}
	}
}
