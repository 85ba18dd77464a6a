package handlers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"outlay/handlers"
	"outlay/internal/testutil"
	"outlay/models"
	"outlay/tenancy"
)

// tokenSite is a deployment with two tenants and one acme user per role that matters here.
type tokenSite struct {
	app                               *testutil.App
	acme, globex                      tenancy.Tenant
	admin, clerk, clerk2, auditor, rq *models.User
}

func newTokenSite(t *testing.T) *tokenSite {
	t.Helper()
	env, acme := testutil.NewTenant(t)
	s := &tokenSite{acme: acme, globex: env.NewTenant(t, "globex", "Globex Industries")}
	s.admin = env.CreateUser(t, acme, "ana@acme.example", "Ana Admin", "admin")
	s.clerk = env.CreateUser(t, acme, "cas@acme.example", "Casey Clerk", "ap_clerk")
	s.clerk2 = env.CreateUser(t, acme, "bo@acme.example", "Bo Clerk", "ap_clerk")
	s.auditor = env.CreateUser(t, acme, "jo@acme.example", "Jordan Auditor", "auditor")
	s.rq = env.CreateUser(t, acme, "riley@acme.example", "Riley Requester", "requester")
	env.CreateUser(t, s.globex, "cas@acme.example", "Casey at Globex", "ap_clerk")
	s.app = testutil.NewApp(t, env)
	return s
}

// signedIn is a browser client of acme signed in as email.
func (s *tokenSite) signedIn(t *testing.T, email string) *testutil.Client {
	t.Helper()
	c := s.app.Client(t, "acme")
	c.SignIn(email, testutil.Password)
	return c
}

// bearer is an API client of the tenant slug that sends token and no cookies.
func (s *tokenSite) bearer(t *testing.T, slug, token string) *testutil.Client {
	c := s.app.Client(t, slug)
	c.Header.Set("Authorization", "Bearer "+token)
	return c
}

// createToken makes a token through the page and returns its text.
func createToken(t *testing.T, c *testutil.Client, name string) string {
	t.Helper()
	c.Get("/settings/tokens")
	res := c.Post("/settings/tokens", url.Values{"name": {name}, "days": {"30"}, "confirm": {testutil.Password}})
	tok, _ := res.Doc.Find("input#new-token").Attr("value")
	if res.Status != http.StatusCreated || !strings.HasPrefix(tok, models.TokenPrefix) {
		t.Fatalf("create token %q: status %d, token %q, errors %q", name, res.Status, tok, res.Text(".field-error, .flash"))
	}
	return tok
}

// tokenID is the id of the token named name.
func (s *tokenSite) tokenID(t *testing.T, name string) int64 {
	t.Helper()
	var id int64
	if err := s.app.DB(t, s.acme).Raw(`SELECT id FROM api_tokens WHERE name = ?`, name).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("token %q: id %d, %v", name, id, err)
	}
	return id
}

// apiJSON checks that res is JSON with the status want, and decodes it.
func apiJSON(t *testing.T, what string, res *testutil.Response, want int) map[string]any {
	t.Helper()
	if res.Status != want {
		t.Errorf("%s: status %d, want %d (%s)", what, res.Status, want, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want JSON", what, ct)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(res.Body), &out); err != nil {
		t.Errorf("%s: body is not JSON: %v: %s", what, err, res.Body)
	}
	return out
}

// rowOf is the table row of the token named name.
func rowOf(res *testutil.Response, name string) *goquery.Selection {
	return res.Doc.Find("tbody tr").FilterFunction(func(_ int, tr *goquery.Selection) bool {
		return strings.TrimSpace(tr.Find(".token-name").Text()) == name
	})
}

func TestCreatedTokenIsShownOnceAndStoredAsADigest(t *testing.T) {
	t.Parallel()
	s := newTokenSite(t)
	c := s.signedIn(t, "cas@acme.example")

	empty := c.Get("/settings/tokens")
	if empty.Status != http.StatusOK {
		t.Fatalf("tokens page: %d", empty.Status)
	}
	if got := empty.Text(".empty-state .code-block"); got != `curl -H "Authorization: Bearer olt_…" http://acme.localhost:8080/api/v1/me` {
		t.Errorf("empty state's example = %q", got)
	}
	if empty.Doc.Find(`.nav a[href="/settings/tokens"][aria-current="page"]`).Length() != 1 {
		t.Error("the navigation does not mark API tokens as the current page")
	}
	var lifetimes []string
	empty.Doc.Find(`select[name="days"] option`).Each(func(_ int, o *goquery.Selection) { lifetimes = append(lifetimes, o.AttrOr("value", "")) })
	if strings.Join(lifetimes, ",") != "7,30,90,365" {
		t.Errorf("lifetimes offered: %v", lifetimes)
	}

	res := c.Post("/settings/tokens", url.Values{"name": {"  ERP sync "}, "days": {"90"}, "confirm": {testutil.Password}})
	if res.Status != http.StatusCreated {
		t.Fatalf("create: status %d: %s", res.Status, res.Text(".field-error, .flash"))
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the response with the token has Cache-Control %q, want no-store", cc)
	}
	tok, _ := res.Doc.Find("input#new-token").Attr("value")
	if !strings.HasPrefix(tok, "olt_") || len(tok) < 40 {
		t.Fatalf("token %q", tok)
	}
	if _, ro := res.Doc.Find("input#new-token").Attr("readonly"); !ro {
		t.Error("the token's field is not read-only")
	}
	if n := strings.Count(res.Body, tok); n != 1 {
		t.Errorf("the token appears %d times in the response, want once", n)
	}
	if note := res.Text(".token-note"); !strings.Contains(note, "Copy it now: it will not be shown again.") {
		t.Errorf("note beside the token = %q", note)
	}
	if got := res.Text("#created-title"); got != "Token “ERP sync” created" {
		t.Errorf("panel title = %q", got)
	}
	if got := rowOf(res, "ERP sync").Find(".badge").Text(); got != "Active" {
		t.Errorf("the new token's status in the list = %q", got)
	}

	// Never again: not on the list page, not in the database.
	list := c.Get("/settings/tokens")
	if strings.Contains(list.Body, tok) || list.Doc.Find("#new-token").Length() != 0 {
		t.Error("the list page shows the token again")
	}
	row := rowOf(list, "ERP sync")
	if row.Length() != 1 || strings.TrimSpace(row.Find("td.date").Eq(2).Text()) != "Never" {
		t.Errorf("list row: %q", row.Text())
	}
	var stored struct {
		TokenHash []byte
		Days      int
	}
	db := s.app.DB(t, s.acme)
	if err := db.Raw(`SELECT token_hash, extract(day FROM expires_at - created_at)::int AS days FROM api_tokens`).Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(tok)); !bytes.Equal(stored.TokenHash, sum[:]) {
		t.Errorf("token_hash %x is not the token's SHA-256", stored.TokenHash)
	}
	if stored.Days != 90 {
		t.Errorf("lifetime %d days, want 90", stored.Days)
	}
	var leaked int64
	db.Raw(`SELECT count(*) FROM api_tokens WHERE position(? in name) > 0 OR position(convert_to(?, 'UTF8') in token_hash) > 0`, tok, tok).Scan(&leaked)
	if leaked != 0 {
		t.Error("the token's text is stored")
	}

	// The token authenticates the API as its owner.
	me := apiJSON(t, "/api/v1/me", s.bearer(t, "acme", tok).Get("/api/v1/me"), http.StatusOK)
	want := map[string]any{
		"id": float64(s.clerk.ID), "email": "cas@acme.example", "name": "Casey Clerk", "roles": []any{"ap_clerk"},
		"tenant": map[string]any{"slug": "acme", "name": "Acme Corporation"},
	}
	if fmt.Sprint(me) != fmt.Sprint(want) {
		t.Errorf("/api/v1/me = %v\nwant %v", me, want)
	}
	if used := strings.TrimSpace(rowOf(c.Get("/settings/tokens"), "ERP sync").Find("td.date").Eq(2).Text()); used == "Never" || !strings.HasSuffix(used, "UTC") {
		t.Errorf("last used after a request = %q", used)
	}

	// Another organisation does not know the token, even where its owner's email exists.
	g := s.bearer(t, "globex", tok).Get("/api/v1/me")
	apiJSON(t, "acme token on globex", g, http.StatusUnauthorized)
	if !strings.Contains(g.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate = %q", g.Header.Get("WWW-Authenticate"))
	}
}

func TestCreateTokenRejectsBadInput(t *testing.T) {
	t.Parallel()
	s := newTokenSite(t)
	c := s.signedIn(t, "cas@acme.example")
	for name, tc := range map[string]struct {
		form         url.Values
		field, error string
	}{
		"empty name":       {url.Values{"name": {"   "}, "days": {"30"}}, "name", "Name the token after what will use it, such as “ERP sync”."},
		"101-char name":    {url.Values{"name": {strings.Repeat("n", 101)}, "days": {"30"}}, "name", "A token's name has at most 100 characters; this one has 101."},
		"lifetime 5":       {url.Values{"name": {"ERP sync"}, "days": {"5"}}, "days", "Choose how long the token works."},
		"lifetime missing": {url.Values{"name": {"ERP sync"}}, "days", "Choose how long the token works."},
		"lifetime a word":  {url.Values{"name": {"ERP sync"}, "days": {"forever"}}, "days", "Choose how long the token works."},
	} {
		c.Get("/settings/tokens")
		tc.form.Set("confirm", testutil.Password)
		res := c.Post("/settings/tokens", tc.form)
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", name, res.Status)
		}
		if got := res.Text("#" + tc.field + "-error"); got != tc.error {
			t.Errorf("%s: message beside %s = %q, want %q", name, tc.field, got, tc.error)
		}
		if inv, _ := res.Doc.Find(`[name="` + tc.field + `"]`).Attr("aria-invalid"); inv != "true" {
			t.Errorf("%s: %s is not marked invalid", name, tc.field)
		}
		if v, _ := res.Doc.Find(`input[name="name"]`).Attr("value"); v != tc.form.Get("name") {
			t.Errorf("%s: the form lost the name (%q)", name, v)
		}
		if res.Doc.Find("#new-token").Length() != 0 {
			t.Errorf("%s: a token was shown", name)
		}
	}
	var n int64
	s.app.DB(t, s.acme).Raw(`SELECT count(*) FROM api_tokens`).Scan(&n)
	if n != 0 {
		t.Errorf("%d tokens made by refused forms", n)
	}
}

func TestBearerTokenRefusals(t *testing.T) {
	t.Parallel()
	s := newTokenSite(t)
	c := s.signedIn(t, "cas@acme.example")
	expired := createToken(t, c, "expired")
	revoked := createToken(t, c, "revoked")
	good := createToken(t, c, "good")
	db := s.app.DB(t, s.acme)
	if err := db.Exec(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE name = 'expired'`).Error; err != nil {
		t.Fatal(err)
	}
	// Each token works until it is revoked, and is refused from the very next request.
	apiJSON(t, "before revocation", s.bearer(t, "acme", revoked).Get("/api/v1/me"), http.StatusOK)
	c.Get("/settings/tokens")
	if res := c.Post(fmt.Sprintf("/settings/tokens/%d/revoke", s.tokenID(t, "revoked")), nil); res.Status != http.StatusSeeOther || res.Location() != "/settings/tokens" {
		t.Fatalf("revoke: %d %q", res.Status, res.Location())
	}
	list := c.Get("/settings/tokens")
	if got := list.Text(".flash-success"); !strings.HasPrefix(got, "Token revoked.") {
		t.Errorf("flash after revoking = %q", got)
	}
	for name, want := range map[string]string{"revoked": "Revoked", "expired": "Expired", "good": "Active"} {
		row := rowOf(list, name)
		if got := row.Find(".badge").Text(); got != want {
			t.Errorf("%s: status %q, want %q", name, got, want)
		}
		if hasRevoke := row.Find("form button").Length() > 0; hasRevoke != (want == "Active") {
			t.Errorf("%s: revoke button shown: %v", name, hasRevoke)
		}
	}

	signedIn := s.signedIn(t, "cas@acme.example") // a browser session, and no bearer token
	for name, client := range map[string]*testutil.Client{
		"no Authorization":   s.app.Client(t, "acme"),
		"cookie session":     signedIn,
		"unknown token":      s.bearer(t, "acme", "olt_"+strings.Repeat("A", 43)),
		"not an olt_ token":  s.bearer(t, "acme", "abc"),
		"expired token":      s.bearer(t, "acme", expired),
		"revoked token":      s.bearer(t, "acme", revoked),
		"acme token, globex": s.bearer(t, "globex", good),
	} {
		res := client.Get("/api/v1/me")
		body := apiJSON(t, name, res, http.StatusUnauthorized)
		if msg, _ := body["error"].(string); msg == "" {
			t.Errorf("%s: no error message: %s", name, res.Body)
		}
		if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", name, res.Header.Get("WWW-Authenticate"))
		}
	}
	basic := s.app.Client(t, "acme")
	basic.Header.Set("Authorization", "Basic "+good)
	apiJSON(t, "Basic scheme", basic.Get("/api/v1/me"), http.StatusUnauthorized)
	apiJSON(t, "good token", s.bearer(t, "acme", good).Get("/api/v1/me"), http.StatusOK)

	// A deactivated person's tokens stop working with their account.
	if err := db.Exec(`UPDATE users SET status = 'deactivated' WHERE id = ?`, s.clerk.ID).Error; err != nil {
		t.Fatal(err)
	}
	apiJSON(t, "deactivated owner", s.bearer(t, "acme", good).Get("/api/v1/me"), http.StatusUnauthorized)
}

func TestAPIAnswersInJSONUnderTheSamePolicies(t *testing.T) {
	t.Parallel()
	s := newTokenSite(t)
	clerkToken := createToken(t, s.signedIn(t, "cas@acme.example"), "clerk script")
	// A requester holds no token permission; a token made for them before a policy change,
	// say, still names them but opens only what their roles allow.
	_, rqToken, err := models.CreateToken(context.Background(), s.app.DB(t, s.acme), s.rq.ID, "old", 30, nil)
	if err != nil {
		t.Fatal(err)
	}
	rq := s.bearer(t, "acme", rqToken)
	apiJSON(t, "requester /me", rq.Get("/api/v1/me"), http.StatusOK)
	forbidden := apiJSON(t, "requester /tokens", rq.Get("/api/v1/tokens"), http.StatusForbidden)
	if forbidden["error"] != handlers.ForbiddenMessage {
		t.Errorf("403 body = %v", forbidden)
	}

	clerk := s.bearer(t, "acme", clerkToken)
	list := apiJSON(t, "clerk /tokens", clerk.Get("/api/v1/tokens"), http.StatusOK)
	toks, _ := list["tokens"].([]any)
	if len(toks) != 1 {
		t.Fatalf("tokens = %v", list)
	}
	first, _ := toks[0].(map[string]any)
	if first["name"] != "clerk script" || first["status"] != "active" || first["current"] != true {
		t.Errorf("listed token = %v", first)
	}
	if strings.Contains(clerk.Get("/api/v1/tokens").Body, clerkToken) {
		t.Error("the API lists a token's text")
	}

	for name, res := range map[string]*testutil.Response{
		"unknown path":   clerk.Get("/api/v1/nope"),
		"unknown host":   s.bearer(t, "nosuch", clerkToken).Get("/api/v1/me"),
		"path with case": clerk.Get("/API/v1/nope"),
	} {
		body := apiJSON(t, name, res, http.StatusNotFound)
		if msg, _ := body["error"].(string); msg == "" {
			t.Errorf("%s: no error message: %s", name, res.Body)
		}
	}
}

func httpRequest(method, path string) *http.Request {
	req, _ := http.NewRequest(method, path, nil)
	return req
}

func TestTokenPagesFollowPolicies(t *testing.T) {
	t.Parallel()
	s := newTokenSite(t)
	rq := s.signedIn(t, "riley@acme.example")
	dash := rq.Get("/dashboard")
	if dash.Doc.Find(`.nav a[href="/settings/tokens"], .nav a[href="/admin/tokens"]`).Length() != 0 {
		t.Error("a requester's navigation offers token pages")
	}
	for _, path := range []string{"/settings/tokens", "/admin/tokens"} {
		res := rq.Get(path)
		if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
			t.Errorf("requester GET %s: %d %q", path, res.Status, res.Location())
		}
		if got := rq.Get("/dashboard").Text(".flash-error"); got != handlers.ForbiddenMessage {
			t.Errorf("requester GET %s: flash %q", path, got)
		}
	}
	rq.Get("/dashboard")
	if res := rq.Post("/settings/tokens", url.Values{"name": {"sneaky"}, "days": {"30"}}); res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("requester POST /settings/tokens: %d %q", res.Status, res.Location())
	}

	clerkNav := s.signedIn(t, "cas@acme.example").Get("/dashboard")
	if clerkNav.Doc.Find(`.nav a[href="/settings/tokens"]`).Text() != "API tokens" || clerkNav.Doc.Find(`.nav a[href="/admin/tokens"]`).Length() != 0 {
		t.Errorf("clerk's navigation: %q", clerkNav.Text(".nav"))
	}
	adminNav := s.signedIn(t, "ana@acme.example").Get("/dashboard")
	if adminNav.Doc.Find(`.nav a[href="/admin/tokens"]`).Text() != "All API tokens" {
		t.Errorf("admin's navigation: %q", adminNav.Text(".nav"))
	}
	var n int64
	s.app.DB(t, s.acme).Raw(`SELECT count(*) FROM api_tokens`).Scan(&n)
	if n != 0 {
		t.Errorf("%d tokens after refused requests", n)
	}
}

func TestOnlyAdminsRevokeOthersTokens(t *testing.T) {
	t.Parallel()
	s := newTokenSite(t)
	cas := s.signedIn(t, "cas@acme.example")
	tok := createToken(t, cas, "Casey's sync")
	id := s.tokenID(t, "Casey's sync")

	// Another person, even one with the same permissions, finds nothing to revoke.
	bo := s.signedIn(t, "bo@acme.example")
	for _, path := range []string{fmt.Sprintf("/settings/tokens/%d/revoke", id), "/settings/tokens/999999/revoke", "/settings/tokens/abc/revoke"} {
		bo.Get("/settings/tokens") // the error page carries no CSRF token for the next form
		if res := bo.Post(path, nil); res.Status != http.StatusNotFound {
			t.Errorf("bo POST %s: %d, want 404", path, res.Status)
		}
	}
	if strings.Contains(bo.Get("/settings/tokens").Body, "Casey's sync") {
		t.Error("bo's list shows Casey's token")
	}
	apiJSON(t, "after refused revocations", s.bearer(t, "acme", tok).Get("/api/v1/me"), http.StatusOK)

	// The admin sees everyone's tokens with their owners, and revokes Casey's.
	ana := s.signedIn(t, "ana@acme.example")
	all := ana.Get("/admin/tokens")
	row := rowOf(all, "Casey's sync")
	if row.Length() != 1 || strings.TrimSpace(row.Find(".owner-name").Text()) != "Casey Clerk" || strings.TrimSpace(row.Find(".owner .hint").Text()) != "cas@acme.example" {
		t.Fatalf("admin list row: %q", row.Text())
	}
	form := row.Find("form[data-confirm]")
	action, _ := form.Attr("action")
	if action != fmt.Sprintf("/admin/tokens/%d/revoke", id) || !strings.Contains(form.AttrOr("data-confirm", ""), "Casey Clerk’s token “Casey's sync”") {
		t.Errorf("revoke form: action %q, confirm %q", action, form.AttrOr("data-confirm", ""))
	}
	res := ana.Post(action, url.Values{"page": {"1"}})
	if res.Status != http.StatusSeeOther || res.Location() != "/admin/tokens" {
		t.Fatalf("admin revoke: %d %q", res.Status, res.Location())
	}
	apiJSON(t, "revoked by an admin", s.bearer(t, "acme", tok).Get("/api/v1/me"), http.StatusUnauthorized)
	if all := ana.Get("/admin/tokens"); rowOf(all, "Casey's sync").Length() != 0 || all.Text(".empty-state") != "Nobody has an active API token." {
		t.Errorf("active tokens after revoking the only one: %q", all.Text(".card"))
	}
	// The revoke of a filtered list returns to it; the owner sees the revocation.
	if res := ana.Post(action, url.Values{"status": {"all"}, "page": {"1"}}); res.Location() != "/admin/tokens?status=all" {
		t.Errorf("revoking again from the full list: %d %q", res.Status, res.Location())
	}
	if got := rowOf(ana.Get("/admin/tokens?status=all"), "Casey's sync").Find(".badge").Text(); got != "Revoked" {
		t.Errorf("full list status = %q", got)
	}
	if got := rowOf(cas.Get("/settings/tokens"), "Casey's sync").Find(".badge").Text(); got != "Revoked" {
		t.Errorf("owner's list status = %q", got)
	}
	if res := ana.Post("/admin/tokens/999999/revoke", nil); res.Status != http.StatusNotFound {
		t.Errorf("admin revoking an unknown token: %d", res.Status)
	}
}

func TestAuditorSeesAllTokensButRevokesNone(t *testing.T) {
	t.Parallel()
	s := newTokenSite(t)
	tok := createToken(t, s.signedIn(t, "cas@acme.example"), "Casey's sync")
	id := s.tokenID(t, "Casey's sync")
	jo := s.signedIn(t, "jo@acme.example")
	page := jo.Get("/admin/tokens")
	if page.Status != http.StatusOK || rowOf(page, "Casey's sync").Length() != 1 {
		t.Fatalf("auditor's list: %d %q", page.Status, page.Text("main"))
	}
	if n := page.Doc.Find(`form[action*="/revoke"], .btn-danger`).Length(); n != 0 {
		t.Errorf("the auditor is offered %d revoke buttons", n)
	}
	if page.Doc.Find(`th .visually-hidden`).Length() != 0 {
		t.Error("the auditor's table has an empty actions column")
	}
	jo.Get("/admin/tokens")
	res := jo.Post(fmt.Sprintf("/admin/tokens/%d/revoke", id), nil)
	if res.Status != http.StatusSeeOther || res.Location() != "/dashboard" {
		t.Errorf("auditor revoke: %d %q", res.Status, res.Location())
	}
	apiJSON(t, "after the auditor's refused revocation", s.bearer(t, "acme", tok).Get("/api/v1/me"), http.StatusOK)
	// The auditor may manage their own tokens.
	if own := jo.Get("/settings/tokens"); own.Doc.Find(`form[action="/settings/tokens"]`).Length() != 1 {
		t.Errorf("the auditor has no create form on their own tokens page")
	}
}

func TestAllTokensPagesByFifty(t *testing.T) {
	t.Parallel()
	s := newTokenSite(t)
	db := s.app.DB(t, s.acme)
	ctx := context.Background()
	// More tokens than one person may make (MaxWorkingTokens), as an organisation of many
	// people holds: written straight into the table.
	if err := db.WithContext(ctx).Exec(`INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at)
		SELECT ?, 'token ' || g, sha256(g::text::bytea), now() - g * interval '1 second', now() + interval '30 days'
		FROM generate_series(1, 60) g`, s.clerk.ID).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`UPDATE api_tokens SET revoked_at = now() WHERE name IN ('token 1', 'token 2')`).Error; err != nil {
		t.Fatal(err)
	}
	ana := s.signedIn(t, "ana@acme.example")
	first := ana.Get("/admin/tokens")
	if n := first.Doc.Find("tbody tr").Length(); n != 50 {
		t.Errorf("first page lists %d tokens, want 50", n)
	}
	if got := first.Text(".pagination > span"); got != "Showing 1–50 of 58" {
		t.Errorf("pagination says %q", got)
	}
	next, _ := first.Doc.Find(`.pagination a[rel="next"]`).Attr("href")
	if next != "/admin/tokens?page=2" {
		t.Fatalf("next link %q", next)
	}
	second := ana.Get(next)
	if n := second.Doc.Find("tbody tr").Length(); n != 8 || second.Text(".pagination > span") != "Showing 51–58 of 58" {
		t.Errorf("second page: %d rows, %q", n, second.Text(".pagination > span"))
	}
	if second.Doc.Find(`.pagination a[rel="next"]`).Length() != 0 {
		t.Error("the last page links to a next one")
	}
	all := ana.Get("/admin/tokens?status=all&page=2")
	if got := all.Text(".pagination > span"); got != "Showing 51–60 of 60" {
		t.Errorf("all tokens, page 2: %q", got)
	}
	if prev, _ := all.Doc.Find(`.pagination a[rel="prev"]`).Attr("href"); prev != "/admin/tokens?status=all" {
		t.Errorf("previous link %q", prev)
	}
	if res := ana.Get("/admin/tokens?page=9"); res.Status != http.StatusSeeOther || res.Location() != "/admin/tokens?page=2" {
		t.Errorf("past the last page: %d %q", res.Status, res.Location())
	}
	for _, q := range []string{"page=-3", "page=abc", "page=99999999999999999999"} {
		if res := ana.Get("/admin/tokens?" + q); res.Status != http.StatusOK && res.Status != http.StatusSeeOther {
			t.Errorf("%s: %d", q, res.Status)
		}
	}
	// Fifty or fewer: no pagination at all.
	if err := db.Exec(`UPDATE api_tokens SET revoked_at = now() WHERE name IN ('token 3', 'token 4', 'token 5', 'token 6', 'token 7', 'token 8', 'token 9', 'token 10')`).Error; err != nil {
		t.Fatal(err)
	}
	if res := ana.Get("/admin/tokens"); res.Doc.Find(".pagination").Length() != 0 || res.Doc.Find("tbody tr").Length() != 50 {
		t.Errorf("exactly fifty active tokens: pagination shown or %d rows", res.Doc.Find("tbody tr").Length())
	}
}
