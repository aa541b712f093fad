package app

import (
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin/internal/testkit"
)

// Keyword filters set through Healthchecks' API: with filter_http_body
// the comma-separated keywords classify the pings to the plain URL (a
// failure keyword fails the check, filter_default_fail fails a body
// matching none) and Tocsin's API shows them as lists; filter_subject
// alone applies them to email, which Tocsin does not take, so a body
// holding a failure keyword is still a success.
func TestHealthchecksKeywordFilters(t *testing.T) {
	c := startHCAPI(t)
	a := c.post("/api/v3/checks/", map[string]any{"name": "etl", "failure_kw": "ERROR, FATAL", "success_kw": "DONE",
		"filter_http_body": true, "filter_default_fail": true}, "")
	wantCode(t, a, 201)
	if a.str("failure_kw") != "ERROR,FATAL" || a.str("success_kw") != "DONE" || a.doc["filter_http_body"] != true ||
		a.doc["filter_default_fail"] != true || a.doc["filter_subject"] != false || a.str("subject") != "" {
		t.Fatalf("%s", a.raw)
	}
	etl := a.uuid()
	var shown struct {
		Keywords *struct {
			Failure, Success []string
			NoMatch          string `json:"no_match"`
		}
	}
	c.r.get(t, "/api/v1/checks/"+etl, &shown)
	if k := shown.Keywords; k == nil || strings.Join(k.Failure, "|") != "ERROR|FATAL" || k.NoMatch != "fail" {
		t.Fatalf("Tocsin's API shows %+v", shown.Keywords)
	}
	c.ping(etl, "", []byte("all DONE"))
	testkit.Eventually(t, "etl up", func() bool { return c.get(etl).str("status") == "up" })
	c.ping(etl, "", []byte("nothing to say"))
	testkit.Eventually(t, "etl down on a body matching no keyword", func() bool { return c.get(etl).str("status") == "down" })

	a = c.post("/api/v3/checks/", map[string]any{"name": "mail", "subject_fail": "ERROR"}, "")
	wantCode(t, a, 201)
	mail := a.uuid()
	if a.doc["filter_subject"] != true || a.str("subject_fail") != "ERROR" {
		t.Fatalf("%s", a.raw)
	}
	if _, ok := a.doc["filter_http_body"]; ok {
		t.Errorf("filter_http_body shown while off: %s", a.raw)
	}
	shown.Keywords = nil
	c.r.get(t, "/api/v1/checks/"+mail, &shown)
	if shown.Keywords != nil {
		t.Errorf("Tocsin's API shows a filter that classifies nothing: %+v", shown.Keywords)
	}
	c.ping(mail, "", []byte("ERROR"))
	testkit.Eventually(t, "mail up", func() bool { return c.get(mail).str("status") == "up" })

	// A filter on HTTP bodies needs a keyword, as the config's keywords block.
	wantCode(t, c.post("/api/v3/checks/", map[string]any{"name": "bare", "filter_http_body": true}, ""), 400)
	// Another update keeps the filter.
	wantCode(t, c.send("POST", "/api/v3/checks/"+etl, rwKey, map[string]any{"desc": "nightly"}), 200)
	if a := c.get(etl); a.str("failure_kw") != "ERROR,FATAL" || a.doc["filter_http_body"] != true {
		t.Fatalf("after an update: %s", a.raw)
	}
}
