package handlers

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

// dumpRoutes names a file to write the route table to, one entry a line, so that a change
// that moves how routes are written can show the table is the same entry for entry:
//
//	go test -run TestRouteTable ./handlers/ -args -dump-routes /tmp/before.txt
var dumpRoutes = flag.String("dump-routes", "", "write the route table to this file")

// routeLine is one entry of the route table as text: everything but its handler.
func routeLine(r Route) string {
	access := map[Access]string{Public: "public", SignedIn: "signed-in", Permitted: "permitted"}[r.Access]
	line := fmt.Sprintf("%-4s %-55s %-9s %s", r.Method, r.Path, access, r.Perm)
	if r.AlsoOpenedBy.Object != "" {
		line += " also-opened-by " + r.AlsoOpenedBy.String()
	}
	if r.Widen.Object != "" {
		line += " widened-by " + r.Widen.String()
	}
	if r.NavLabel != "" {
		line += " nav=" + r.NavLabel
	}
	if r.API {
		line += " api"
	}
	if r.Upload {
		line += " upload"
	}
	if r.WhileReadOnly {
		line += " while-read-only"
	}
	return line
}

// The route table has one entry per method and path, every permitted route names a
// permission, and every page the navigation sections list is a route.
func TestRouteTable(t *testing.T) {
	t.Parallel()
	routes := (&Server{}).routeTable()
	seen := map[string]bool{}
	var lines []string
	for _, r := range routes {
		key := r.Method + " " + r.Path
		if seen[key] {
			t.Errorf("%s is registered twice", key)
		}
		seen[key] = true
		if r.Access == Permitted && (r.Perm.Object == "" || r.Perm.Action == "") {
			t.Errorf("%s is permitted but names no permission", key)
		}
		lines = append(lines, routeLine(r))
	}
	inSection := map[string]string{}
	for _, sec := range navSections {
		for _, path := range sec.Paths {
			if !seen[get+" "+path] {
				t.Errorf("the navigation's %q section lists %s, which no route serves", sec.Name, path)
			}
			if other, twice := inSection[path]; twice {
				t.Errorf("%s is in the navigation's %q and %q sections", path, other, sec.Name)
			}
			inSection[path] = sec.Name
			lines = append(lines, "nav section "+sec.Name+": "+path)
		}
	}
	for _, r := range routes {
		if _, ok := inSection[r.Path]; r.NavLabel != "" && r.Method == get && !ok {
			t.Errorf("%s is in the navigation (%q) but in none of its sections", r.Path, r.NavLabel)
		}
	}
	if *dumpRoutes != "" {
		if err := os.WriteFile(*dumpRoutes, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
