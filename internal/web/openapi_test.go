package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tocsinhq/tocsin/internal/auth"
)

// TestOpenAPICoversRouteTable loads the served description with a real
// OpenAPI 3.1 validator and walks the route table: every route has an
// operation naming its route and role, every operation a route, and every
// doc entry a route. The responses themselves are validated against it by
// the API's test in internal/app.
func TestOpenAPICoversRouteTable(t *testing.T) {
	s := testServer(t)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json: %d %s: %.300s", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
	for _, gap := range openAPIGaps(t, s.routes(), w.Body.Bytes()) {
		t.Error(gap)
	}
}

// TestOpenAPIGapsNamesUndocumentedRoute: a route of the table without a
// doc entry is missing from the description, and the walk says so.
func TestOpenAPIGapsNamesUndocumentedRoute(t *testing.T) {
	routes := append(testServer(t).routes(), route{"GET /api/v1/undocumented", viewer, http.NotFoundHandler(), false})
	doc, err := openAPI(routes, apiDocs)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	gaps := openAPIGaps(t, routes, body)
	if len(gaps) != 1 || !strings.Contains(gaps[0], "route GET /api/v1/undocumented has no operation") {
		t.Errorf("gaps %q, want the undocumented route named", gaps)
	}
}

// openAPIGaps validates the description body and lists where it and the
// routes differ.
func openAPIGaps(t *testing.T, routes []route, body []byte) []string {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the description is not valid OpenAPI: %v", err)
	}
	var gaps []string
	gap := func(format string, args ...any) { gaps = append(gaps, fmt.Sprintf(format, args...)) }
	type opAt struct {
		method, path string
		op           *openapi3.Operation
	}
	byRoute := map[string][]opAt{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			pattern, _ := op.Extensions["x-tocsin-route"].(string)
			byRoute[pattern] = append(byRoute[pattern], opAt{method, path, op})
		}
	}
	table := map[string]bool{}
	for _, rt := range routes {
		if rt.page {
			continue // pages are not the API
		}
		table[rt.pattern] = true
		ops := byRoute[rt.pattern]
		if len(ops) == 0 {
			gap("route %s has no operation in openapi.json: add its entry to apiDocs in apidoc.go", rt.pattern)
			continue
		}
		method, path, hasMethod := strings.Cut(rt.pattern, " ")
		for _, o := range ops {
			if hasMethod && (o.method != method || o.path != path) {
				gap("route %s is described as %s %s", rt.pattern, o.method, o.path)
			}
			if role, _ := o.op.Extensions["x-tocsin-role"].(string); role != rt.role.String() {
				gap("%s %s: x-tocsin-role %q, the table says %s", o.method, o.path, role, rt.role)
			}
			switch {
			case o.op.Security == nil:
				gap("%s %s: no security requirement", o.method, o.path)
			case rt.role == auth.Public && len(*o.op.Security) != 0:
				gap("%s %s: a public route asks for a credential", o.method, o.path)
			case rt.role != auth.Public && (len(*o.op.Security) != 1 || (*o.op.Security)[0]["bearer"] == nil):
				gap("%s %s: security %v, want the bearer token", o.method, o.path, *o.op.Security)
			}
			if rt.role != auth.Public && (o.op.Responses.Status(401) == nil || o.op.Responses.Status(403) == nil) {
				gap("%s %s: needs a role but describes no 401 and 403", o.method, o.path)
			}
			if o.op.Summary == "" {
				gap("%s %s: no summary", o.method, o.path)
			}
		}
	}
	for pattern, ops := range byRoute {
		if !table[pattern] {
			gap("%s %s describes %q, which is not in the route table", ops[0].method, ops[0].path, pattern)
		}
	}
	for pattern := range apiDocs {
		if !table[pattern] {
			gap("apiDocs documents %q, which is not in the route table", pattern)
		}
	}
	return gaps
}
