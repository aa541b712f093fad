package app

// Healthchecks' own test cases for its ping API, replayed case for case
// over real HTTP against a running Tocsin: hc/api/tests/test_ping.py,
// test_ping_by_slug.py, test_ping_checks.py and test_ping_model.py of the
// healthchecks/healthchecks repository. Each subtest bears the name of the
// Healthchecks case it replays. What a Healthchecks case sets directly in
// its database (a pending start ten seconds ago, a paused status) is done
// here the way a client would: a ping, or the management API, with the
// fake clock moved on. Cases that do not apply, or where Tocsin chooses
// differently, are skipped saying why; docs/compatibility.md lists them.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// hcPingKey is the ping key of the slug cases (Healthchecks' project ping key).
const hcPingKey = "hc-compat-ping-key-0123"

// hcServer is a running Tocsin with one check per replayed case.
type hcServer struct {
	*running
	clk *clock.Fake
}

// hcUUID is the UUID of the check of case n.
func hcUUID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// startHC runs Tocsin with checks 1..n as Healthchecks' test setUp makes
// them (a simple check: timeout 1 day, grace 1 hour), the ones in special
// with the settings given, and the slug checks of test_ping_by_slug.py.
func startHC(t *testing.T, head string, n int, special map[int]string) *hcServer {
	t.Helper()
	var cfg strings.Builder
	cfg.WriteString(head)
	cfg.WriteString("ping_key: " + hcPingKey + "\ntrusted_proxies: [127.0.0.1/32, \"::1/128\"]\nchecks:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&cfg, "  - {name: case-%d, uuid: %s, schedule: {every: 1d}, grace: 1h%s}\n", i, hcUUID(i), special[i])
	}
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, cfg.String())
	clk := clock.NewFake(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	return &hcServer{running: startWith(t, path, clk, testkit.Logger(), nil), clk: clk}
}

// hcAnswer is a ping's answer.
type hcAnswer struct {
	status int
	header http.Header
	body   string
}

// ping sends method to /ping/<path> with body (nil: none) and headers.
func (s *hcServer) ping(t *testing.T, method, path string, body []byte, headers ...string) hcAnswer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, err := http.NewRequest(method, s.base+"/ping/"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return hcAnswer{resp.StatusCode, resp.Header, string(b)}
}

// hcCheck is what the API shows of a check.
type hcCheck struct {
	State        tocsin.CheckState `json:"state"`
	LastPingAt   *time.Time        `json:"last_ping_at"`
	LastStartAt  *time.Time        `json:"last_start_at"`
	LastDuration *float64          `json:"last_duration_seconds"`
	GoesDownAt   *time.Time        `json:"goes_down_at"`
}

func (s *hcServer) check(t *testing.T, uuid string) hcCheck {
	t.Helper()
	var c hcCheck
	if code := s.get(t, "/api/v1/checks/"+uuid, &c); code != 200 {
		t.Fatalf("GET check %s: %d", uuid, code)
	}
	return c
}

// stored is the check as stored, for what the API does not show (the
// stored status, the pending start's run id).
func (s *hcServer) stored(t *testing.T, uuid string) *tocsin.Check {
	t.Helper()
	c, err := s.app.db.CheckByUUID(context.Background(), uuid)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pings are the check's stored pings, newest first, with their bodies as
// bytes.
func (s *hcServer) pings(t *testing.T, uuid string) []tocsin.Ping {
	t.Helper()
	ps, err := s.app.db.Pings(context.Background(), s.stored(t, uuid).ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// onePing is Healthchecks' Ping.objects.get(): the check's only ping.
func (s *hcServer) onePing(t *testing.T, uuid string) tocsin.Ping {
	t.Helper()
	ps := s.pings(t, uuid)
	if len(ps) != 1 {
		t.Fatalf("%d pings, want exactly one", len(ps))
	}
	return ps[0]
}

// incidents counts the check's incidents (Healthchecks' flips to down).
func (s *hcServer) incidents(t *testing.T, uuid string) int {
	t.Helper()
	var out struct {
		Incidents []json.RawMessage `json:"incidents"`
	}
	s.get(t, "/api/v1/incidents?check="+uuid, &out)
	return len(out.Incidents)
}

func (s *hcServer) pause(t *testing.T, uuid string) {
	t.Helper()
	if code := s.do(t, "POST", "/api/v1/checks/"+uuid+"/pause", nil); code != 200 {
		t.Fatalf("pause: %d", code)
	}
}

func wantStatus(t *testing.T, a hcAnswer, status int, body string) {
	t.Helper()
	if a.status != status || body != "" && a.body != body {
		t.Fatalf("answer %d %q, want %d %q", a.status, a.body, status, body)
	}
}

// skipDiffers skips a case where Tocsin deliberately differs; the reason
// is the line of docs/compatibility.md that says so.
func skipDiffers(t *testing.T, reason string) {
	t.Helper()
	t.Skip("differs from Healthchecks: " + reason)
}

// TestHealthchecksPingCases replays hc/api/tests/test_ping.py
// (PingTestCase) and test_ping_model.py (PingModelTestCase).
func TestHealthchecksPingCases(t *testing.T) {
	special := map[int]string{
		27: ", methods: POST",       // test_it_requires_post
		29: ", manual_resume: true", // test_it_handles_manual_resume_flag
	}
	s := startHC(t, "ping_body_limit: 10000\n", 40, special)
	u := hcUUID
	step := func() { s.clk.Advance(time.Second) } // pings of a case a moment apart, as in real life

	t.Run("test_it_works", func(t *testing.T) {
		a := s.ping(t, "GET", u(1), nil)
		wantStatus(t, a, 200, "OK")
		if a.header.Get("Access-Control-Allow-Origin") != "*" || a.header.Get("Ping-Body-Limit") != "10000" {
			t.Fatalf("headers %v", a.header)
		}
		c := s.check(t, u(1))
		if c.State != tocsin.StateUp || c.LastPingAt == nil {
			t.Fatalf("check %+v", c)
		}
		if want := c.LastPingAt.Add(25 * time.Hour); c.GoesDownAt == nil || !c.GoesDownAt.Equal(want) {
			t.Fatalf("alert_after %v, want last ping + 1 day 1 hour (%v)", c.GoesDownAt, want)
		}
		p := s.onePing(t, u(1))
		// Healthchecks stores a success's kind as None; Tocsin names it.
		if p.Scheme != "http" || p.Kind != tocsin.PingSuccess || !p.At.Equal(*c.LastPingAt) || p.ExitStatus != nil {
			t.Fatalf("ping %+v", p)
		}
	})
	t.Run("test_it_changes_status_of_paused_check", func(t *testing.T) {
		s.pause(t, u(2))
		wantStatus(t, s.ping(t, "GET", u(2), nil), 200, "OK")
		if st := s.stored(t, u(2)).Status; st != tocsin.StateUp {
			t.Fatalf("status %s, want up", st)
		}
	})
	t.Run("test_it_clears_last_start", func(t *testing.T) {
		s.ping(t, "GET", u(3)+"/start", nil)
		step()
		wantStatus(t, s.ping(t, "GET", u(3), nil), 200, "OK")
		if c := s.check(t, u(3)); c.LastStartAt != nil {
			t.Fatalf("last_start %v, want none", c.LastStartAt)
		}
	})
	t.Run("test_post_works", func(t *testing.T) {
		wantStatus(t, s.ping(t, "POST", u(4), []byte("hello world")), 200, "OK")
		if p := s.onePing(t, u(4)); p.Method != "POST" || string(p.Body) != "hello world" {
			t.Fatalf("ping %+v", p)
		}
	})
	t.Run("test_head_works", func(t *testing.T) {
		wantStatus(t, s.ping(t, "HEAD", u(5), nil), 200, "")
		s.onePing(t, u(5))
	})
	t.Run("test_it_handles_bad_uuid", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", "not-uuid/", nil), 404, "")
	})
	t.Run("test_it_rejects_alternative_uuid_formats", func(t *testing.T) {
		// Missing separators: Python's uuid.UUID() would accept it.
		wantStatus(t, s.ping(t, "GET", "07c2f54898504b27af5d6c9dc157ec02/", nil), 404, "")
	})
	t.Run("test_it_handles_missing_check", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", "07c2f548-9850-4b27-af5d-6c9dc157ec02/", nil), 404, "not found")
	})
	t.Run("test_it_handles_120_char_ua", func(t *testing.T) {
		ua := "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/44.0.2403.89 Safari/537.36"
		wantStatus(t, s.ping(t, "GET", u(6), nil, "User-Agent", ua), 200, "OK")
		if p := s.onePing(t, u(6)); p.UserAgent != ua {
			t.Fatalf("ua %q", p.UserAgent)
		}
	})
	t.Run("test_it_truncates_long_ua", func(t *testing.T) {
		ua := strings.Repeat("01234567890", 30)
		wantStatus(t, s.ping(t, "GET", u(7), nil, "User-Agent", ua), 200, "OK")
		if p := s.onePing(t, u(7)); len(p.UserAgent) != 200 || !strings.HasPrefix(ua, p.UserAgent) {
			t.Fatalf("ua %q", p.UserAgent)
		}
	})
	// The forwarded-address cases: the test client is 127.0.0.1, listed in
	// trusted_proxies, as the reverse proxy in front of Healthchecks is.
	t.Run("test_it_reads_forwarded_ip", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", u(8), nil, "X-Forwarded-For", "1.1.1.1"), 200, "OK")
		if p := s.onePing(t, u(8)); p.RemoteAddr != "1.1.1.1" {
			t.Fatalf("remote_addr %q", p.RemoteAddr)
		}
	})
	t.Run("test_it_reads_forwarded_ipv6_ip", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", u(9), nil, "X-Forwarded-For", "2001::1"), 200, "OK")
		if p := s.onePing(t, u(9)); p.RemoteAddr != "2001::1" {
			t.Fatalf("remote_addr %q", p.RemoteAddr)
		}
	})
	t.Run("test_it_reads_first_forwarded_ip", func(t *testing.T) {
		// Healthchecks records the first (leftmost) address, 1.1.1.1,
		// which the client writes itself; Tocsin reads from the right,
		// past trusted proxies only, and records 2.2.2.2.
		wantStatus(t, s.ping(t, "GET", u(10), nil, "X-Forwarded-For", "1.1.1.1, 2.2.2.2"), 200, "OK")
		if p := s.onePing(t, u(10)); p.RemoteAddr != "2.2.2.2" {
			t.Fatalf("remote_addr %q, want the nearest untrusted hop 2.2.2.2", p.RemoteAddr)
		}
		skipDiffers(t, "X-Forwarded-For is read from the right, through trusted_proxies only (the leftmost address is the client's own claim)")
	})
	t.Run("test_it_handles_forwarded_ip_plus_port", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", u(11), nil, "X-Forwarded-For", "1.1.1.1:1234"), 200, "OK")
		if p := s.onePing(t, u(11)); p.RemoteAddr != "1.1.1.1" {
			t.Fatalf("remote_addr %q", p.RemoteAddr)
		}
	})
	t.Run("test_it_reads_forwarded_protocol", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", u(12), nil, "X-Forwarded-Proto", "https"), 200, "OK")
		if p := s.onePing(t, u(12)); p.Scheme != "https" {
			t.Fatalf("scheme %q", p.Scheme)
		}
	})
	t.Run("test_it_never_caches", func(t *testing.T) {
		if cc := s.ping(t, "GET", u(13), nil).header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
			t.Fatalf("Cache-Control %q", cc)
		}
	})
	t.Run("test_it_updates_confirmation_flag", func(t *testing.T) {
		skipDiffers(t, "no has_confirmation_link flag: Tocsin has no email pings whose confirmation links it would show")
	})
	t.Run("test_fail_endpoint_works", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", u(14)+"/fail", nil), 200, "OK")
		c := s.check(t, u(14))
		if c.State != tocsin.StateDown || c.GoesDownAt != nil {
			t.Fatalf("check %+v", c)
		}
		if p := s.onePing(t, u(14)); p.Kind != tocsin.PingFail {
			t.Fatalf("kind %s", p.Kind)
		}
		// Healthchecks' flip to down is Tocsin's incident.
		if n := s.incidents(t, u(14)); n != 1 {
			t.Fatalf("%d incidents, want 1", n)
		}
	})
	t.Run("test_start_endpoint_works", func(t *testing.T) {
		s.ping(t, "GET", u(15), nil) // last_ping two hours ago
		s.clk.Advance(2 * time.Hour)
		last := s.check(t, u(15)).LastPingAt
		wantStatus(t, s.ping(t, "GET", u(15)+"/start", nil), 200, "OK")
		c := s.check(t, u(15))
		if c.LastStartAt == nil || c.LastPingAt == nil || !c.LastPingAt.Equal(*last) {
			t.Fatalf("check %+v, last ping before %v", c, last)
		}
		if p := s.pings(t, u(15))[0]; p.Kind != tocsin.PingStart {
			t.Fatalf("kind %s", p.Kind)
		}
	})
	t.Run("test_start_does_not_change_status_of_paused_check", func(t *testing.T) {
		s.pause(t, u(16))
		wantStatus(t, s.ping(t, "GET", u(16)+"/start", nil), 200, "OK")
		if c := s.stored(t, u(16)); c.LastStartAt.IsZero() || c.Status != tocsin.StatePaused {
			t.Fatalf("last_start %v, status %s", c.LastStartAt, c.Status)
		}
	})
	t.Run("test_start_sets_last_start_rid", func(t *testing.T) {
		rid := store.NewUUID()
		wantStatus(t, s.ping(t, "GET", u(17)+"/start?rid="+rid, nil), 200, "OK")
		if c := s.stored(t, u(17)); c.LastStartAt.IsZero() || c.LastStartRID != rid {
			t.Fatalf("last_start %v, rid %q", c.LastStartAt, c.LastStartRID)
		}
	})
	t.Run("test_it_sets_last_duration", func(t *testing.T) {
		s.ping(t, "GET", u(18)+"/start", nil)
		s.clk.Advance(10 * time.Second)
		wantStatus(t, s.ping(t, "GET", u(18), nil), 200, "OK")
		if c := s.check(t, u(18)); c.LastDuration == nil || *c.LastDuration < 10 {
			t.Fatalf("last_duration %v", c.LastDuration)
		}
	})
	t.Run("test_it_does_not_update_last_ping_on_rid_mismatch", func(t *testing.T) {
		s.ping(t, "GET", u(19)+"/start?rid="+store.NewUUID(), nil)
		start := s.check(t, u(19)).LastStartAt
		s.clk.Advance(10 * time.Second)
		wantStatus(t, s.ping(t, "GET", u(19)+"?rid="+store.NewUUID(), nil), 200, "OK")
		c := s.check(t, u(19))
		if c.LastStartAt == nil || !c.LastStartAt.Equal(*start) || c.LastDuration != nil {
			t.Fatalf("last_start %v (was %v), last_duration %v", c.LastStartAt, start, c.LastDuration)
		}
	})
	t.Run("test_it_clears_last_ping_and_sets_last_duration_if_rid_matches", func(t *testing.T) {
		rid := store.NewUUID()
		s.ping(t, "GET", u(20)+"/start?rid="+rid, nil)
		s.clk.Advance(10 * time.Second)
		wantStatus(t, s.ping(t, "GET", u(20)+"?rid="+rid, nil), 200, "OK")
		if c := s.check(t, u(20)); c.LastStartAt != nil || c.LastDuration == nil || *c.LastDuration < 10 {
			t.Fatalf("last_start %v, last_duration %v", c.LastStartAt, c.LastDuration)
		}
	})
	t.Run("test_it_clears_last_ping_if_rid_is_absent", func(t *testing.T) {
		s.ping(t, "GET", u(21)+"/start?rid="+store.NewUUID(), nil)
		s.clk.Advance(10 * time.Second)
		wantStatus(t, s.ping(t, "GET", u(21), nil), 200, "OK")
		if c := s.check(t, u(21)); c.LastStartAt != nil || c.LastDuration != nil {
			t.Fatalf("last_start %v, last_duration %v", c.LastStartAt, c.LastDuration)
		}
	})
	t.Run("test_it_clears_last_ping_on_failure", func(t *testing.T) {
		s.ping(t, "GET", u(22)+"/start?rid="+store.NewUUID(), nil)
		s.clk.Advance(10 * time.Second)
		wantStatus(t, s.ping(t, "GET", u(22)+"/fail?rid="+store.NewUUID(), nil), 200, "OK")
		if c := s.check(t, u(22)); c.LastStartAt != nil || c.LastDuration != nil {
			t.Fatalf("last_start %v, last_duration %v", c.LastStartAt, c.LastDuration)
		}
	})
	t.Run("test_it_requires_post", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", u(27), nil), 200, "OK")
		if c := s.check(t, u(27)); c.State != tocsin.StateNew || c.LastPingAt != nil {
			t.Fatalf("check %+v", c)
		}
		if p := s.onePing(t, u(27)); p.Scheme != "http" || p.Kind != tocsin.PingIgnored {
			t.Fatalf("ping %+v", p)
		}
	})
	t.Run("test_it_chops_long_body", func(t *testing.T) {
		// PING_BODY_LIMIT=5: replayed on a Tocsin with ping_body_limit: 5.
		small := startHC(t, "ping_body_limit: 5\n", 1, nil)
		a := small.ping(t, "POST", u(1), []byte("hello world"))
		wantStatus(t, a, 200, "OK")
		if a.header.Get("Ping-Body-Limit") != "5" {
			t.Fatalf("Ping-Body-Limit %q", a.header.Get("Ping-Body-Limit"))
		}
		if p := small.onePing(t, u(1)); p.Method != "POST" || string(p.Body) != "hello" {
			t.Fatalf("ping %+v", p)
		}
	})
	t.Run("test_it_allows_unlimited_body", func(t *testing.T) {
		skipDiffers(t, "no unlimited body (PING_BODY_LIMIT=None): ping_body_limit is 1 to 100,000 bytes, what Healthchecks.io keeps")
	})
	t.Run("test_it_handles_manual_resume_flag", func(t *testing.T) {
		s.pause(t, u(29))
		wantStatus(t, s.ping(t, "GET", u(29), nil), 200, "OK")
		if st := s.stored(t, u(29)).Status; st != tocsin.StatePaused {
			t.Fatalf("status %s", st)
		}
		if p := s.onePing(t, u(29)); p.Scheme != "http" || p.Kind != tocsin.PingIgnored {
			t.Fatalf("ping %+v", p)
		}
	})
	t.Run("test_zero_exit_status_works", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", u(23)+"/0", nil), 200, "OK")
		if st := s.stored(t, u(23)).Status; st != tocsin.StateUp {
			t.Fatalf("status %s", st)
		}
		if p := s.onePing(t, u(23)); p.Kind != tocsin.PingSuccess || p.ExitStatus == nil || *p.ExitStatus != 0 {
			t.Fatalf("ping %+v", p)
		}
	})
	t.Run("test_nonzero_exit_status_works", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", u(24)+"/123", nil), 200, "OK")
		if st := s.stored(t, u(24)).Status; st != tocsin.StateDown {
			t.Fatalf("status %s", st)
		}
		if p := s.onePing(t, u(24)); p.Kind != tocsin.PingFail || p.ExitStatus == nil || *p.ExitStatus != 123 {
			t.Fatalf("ping %+v", p)
		}
	})
	t.Run("test_it_rejects_exit_status_over_255", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", u(25)+"/256", nil), 400, "invalid url format")
	})
	t.Run("test_it_accepts_bad_unicode", func(t *testing.T) {
		wantStatus(t, s.ping(t, "POST", u(26), []byte("Hello \xe9 World")), 200, "OK")
		if p := s.onePing(t, u(26)); p.Method != "POST" || string(p.Body) != "Hello \xe9 World" {
			t.Fatalf("ping %+v", p)
		}
	})
	t.Run("test_it_uploads_body_to_s3", func(t *testing.T) {
		skipDiffers(t, "no S3 object storage: bodies are kept in the database (SQLite or PostgreSQL)")
	})
	t.Run("test_log_endpoint_works", func(t *testing.T) {
		wantStatus(t, s.ping(t, "POST", u(28)+"/log", []byte("hello")), 200, "OK")
		c := s.check(t, u(28))
		if c.State != tocsin.StateNew || c.GoesDownAt != nil || c.LastPingAt != nil {
			t.Fatalf("check %+v", c)
		}
		if p := s.onePing(t, u(28)); p.Kind != tocsin.PingLog || string(p.Body) != "hello" {
			t.Fatalf("ping %+v", p)
		}
		if n := s.incidents(t, u(28)); n != 0 {
			t.Fatalf("%d incidents", n)
		}
	})
	t.Run("test_it_saves_run_id", func(t *testing.T) {
		rid := store.NewUUID()
		wantStatus(t, s.ping(t, "GET", u(30)+"/start?rid="+rid, nil), 200, "OK")
		if p := s.onePing(t, u(30)); p.RID != rid {
			t.Fatalf("rid %q", p.RID)
		}
	})
	t.Run("test_it_handles_invalid_rid", func(t *testing.T) {
		for _, sample := range []string{"12345", "684e2e73-017e-465f-8149-d70b7c5aaa490"} {
			wantStatus(t, s.ping(t, "GET", u(31)+"/start?rid="+sample, nil), 400, "invalid uuid format")
		}
	})

	// test_ping_model.py: a finish's duration is measured from its start.
	t.Run("PingModelTestCase/test_it_calculates_duration", func(t *testing.T) {
		s.ping(t, "GET", u(32)+"/start", nil)
		s.clk.Advance(5 * time.Minute)
		s.ping(t, "GET", u(32), nil)
		if p := s.pings(t, u(32))[0]; p.Duration != 5*time.Minute {
			t.Fatalf("duration %v, want 300 s", p.Duration)
		}
	})
	t.Run("PingModelTestCase/test_it_handles_no_adjacent_start_event", func(t *testing.T) {
		s.ping(t, "GET", u(33)+"/start", nil)
		s.clk.Advance(5 * time.Minute)
		s.ping(t, "GET", u(33), nil)
		s.clk.Advance(5 * time.Minute)
		s.ping(t, "GET", u(33), nil)
		if p := s.pings(t, u(33))[0]; p.Duration != 0 {
			t.Fatalf("duration %v, want none", p.Duration)
		}
	})
	t.Run("PingModelTestCase/test_it_runs_no_queries_for_the_first_ping", func(t *testing.T) {
		// The query count is Django's; what it guards is that a first
		// ping has no duration.
		s.ping(t, "GET", u(34), nil)
		if p := s.onePing(t, u(34)); p.Duration != 0 {
			t.Fatalf("duration %v", p.Duration)
		}
	})

	// Issue #19, in Healthchecks' terms: start A, start B, finish B, finish
	// A gives A about 2 s, as its ping log does.
	t.Run("overlapping_runs_are_timed_apart", func(t *testing.T) {
		a, b := store.NewUUID(), store.NewUUID()
		s.ping(t, "GET", u(35)+"/start?rid="+a, nil)
		step()
		s.ping(t, "GET", u(35)+"/start?rid="+b, nil)
		s.clk.Advance(500 * time.Millisecond)
		s.ping(t, "GET", u(35)+"?rid="+b, nil)
		s.clk.Advance(500 * time.Millisecond)
		s.ping(t, "GET", u(35)+"?rid="+a, nil)
		ps := s.pings(t, u(35))
		if ps[0].RID != a || ps[0].Duration != 2*time.Second || ps[1].RID != b || ps[1].Duration != 500*time.Millisecond {
			t.Fatalf("finish A %v, finish B %v; want 2s and 500ms", ps[0].Duration, ps[1].Duration)
		}
	})
	// Issue #19: /start on a paused check keeps it paused; with no finish
	// it does not go down; a success then un-pauses it, timed.
	t.Run("paused_check_stays_paused_through_a_start", func(t *testing.T) {
		s.pause(t, u(36))
		s.ping(t, "GET", u(36)+"/start", nil)
		s.clk.Advance(2 * time.Hour) // past grace
		if c := s.check(t, u(36)); c.State != tocsin.StatePaused || s.incidents(t, u(36)) != 0 {
			t.Fatalf("state %s, %d incidents", c.State, s.incidents(t, u(36)))
		}
		s.ping(t, "GET", u(36), nil)
		if c := s.check(t, u(36)); c.State != tocsin.StateUp || c.LastDuration == nil || *c.LastDuration != 7200 {
			t.Fatalf("after success: %+v", c)
		}
	})
}

// TestHealthchecksPingBySlugCases replays hc/api/tests/test_ping_by_slug.py
// (PingBySlugTestCase): each case has its own slug under the ping key.
func TestHealthchecksPingBySlugCases(t *testing.T) {
	var cfg strings.Builder
	cfg.WriteString("ping_key: " + hcPingKey + "\nchecks:\n")
	slugs := []string{"works", "post", "head", "cache", "fail", "start", "zero", "nonzero", "dup"}
	for _, slug := range slugs {
		fmt.Fprintf(&cfg, "  - {name: foo-%s, slug: foo-%s, schedule: {every: 1d}, grace: 1h}\n", slug, slug)
	}
	s := startHCWithConfig(t, cfg.String())
	url := func(slug string) string { return hcPingKey + "/foo-" + slug }
	last := func(t *testing.T, slug string) tocsin.Ping {
		t.Helper()
		var uuid string
		cs, err := s.app.db.Checks(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Slug == "foo-"+slug {
				uuid = c.UUID
			}
		}
		return s.onePing(t, uuid)
	}

	t.Run("test_it_works", func(t *testing.T) {
		a := s.ping(t, "GET", url("works"), nil)
		wantStatus(t, a, 200, "OK")
		if a.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("headers %v", a.header)
		}
		if p := last(t, "works"); p.Kind != tocsin.PingSuccess {
			t.Fatalf("kind %s", p.Kind)
		}
	})
	t.Run("test_post_works", func(t *testing.T) {
		wantStatus(t, s.ping(t, "POST", url("post"), []byte("hello world")), 200, "OK")
		if p := last(t, "post"); p.Method != "POST" || string(p.Body) != "hello world" {
			t.Fatalf("ping %+v", p)
		}
	})
	t.Run("test_head_works", func(t *testing.T) {
		wantStatus(t, s.ping(t, "HEAD", url("head"), nil), 200, "")
		last(t, "head")
	})
	t.Run("test_it_never_caches", func(t *testing.T) {
		if cc := s.ping(t, "GET", url("cache"), nil).header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
			t.Fatalf("Cache-Control %q", cc)
		}
	})
	t.Run("test_fail_endpoint_works", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", url("fail")+"/fail", nil), 200, "OK")
		if p := last(t, "fail"); p.Kind != tocsin.PingFail {
			t.Fatalf("kind %s", p.Kind)
		}
	})
	t.Run("test_start_endpoint_works", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", url("start")+"/start", nil), 200, "OK")
		if p := last(t, "start"); p.Kind != tocsin.PingStart {
			t.Fatalf("kind %s", p.Kind)
		}
	})
	t.Run("test_zero_exit_status_works", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", url("zero")+"/0", nil), 200, "OK")
		if p := last(t, "zero"); p.Kind != tocsin.PingSuccess || p.ExitStatus == nil || *p.ExitStatus != 0 {
			t.Fatalf("ping %+v", p)
		}
	})
	t.Run("test_nonzero_exit_status_works", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", url("nonzero")+"/123", nil), 200, "OK")
		if p := last(t, "nonzero"); p.Kind != tocsin.PingFail || p.ExitStatus == nil || *p.ExitStatus != 123 {
			t.Fatalf("ping %+v", p)
		}
	})
	t.Run("test_it_handles_duplicates", func(t *testing.T) {
		// Another check with the same slug, made beside the config's (a
		// config file cannot hold two: it refuses duplicate slugs).
		if err := s.app.db.Write(context.Background(), func(tx *store.Tx) error {
			_, err := tx.CreateCheck(context.Background(), store.CheckDef{Name: "foo-dup-2", Slug: "foo-dup",
				Spec: tocsin.ScheduleSpec{Every: 24 * time.Hour}, Grace: time.Hour})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, s.ping(t, "GET", url("dup"), nil), 409, "ambiguous slug")
	})
	t.Run("test_it_handles_wrong_ping_key", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", "rrrrrrrrrrrrrrrrrrrrrr/foo-works", nil), 404, "not found")
	})
	t.Run("test_it_auto_provisions_missing_check", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", hcPingKey+"/foo-new?create=1", nil), 201, "Created")
		cs, err := s.app.db.Checks(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var made *tocsin.Check
		for _, c := range cs {
			if c.Slug == "foo-new" {
				made = c
			}
		}
		if made == nil || made.Name != "foo-new" || made.Status != tocsin.StateUp || made.Pings != 1 || made.ManagedBy != "api" {
			t.Fatalf("the check made: %+v", made)
		}
		// The check exists now: the same URL is a ping like any other.
		wantStatus(t, s.ping(t, "GET", hcPingKey+"/foo-new?create=1", nil), 200, "OK")
	})
	t.Run("test_auto_provisioning_is_off_by_default", func(t *testing.T) {
		wantStatus(t, s.ping(t, "GET", hcPingKey+"/foo-missing", nil), 404, "not found")
		cs, err := s.app.db.Checks(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Slug == "foo-missing" {
				t.Fatal("a check was made")
			}
		}
	})
}

// startHCWithConfig runs Tocsin with the config text given.
func startHCWithConfig(t *testing.T, cfg string) *hcServer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, cfg)
	clk := clock.NewFake(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	return &hcServer{running: startWith(t, path, clk, testkit.Logger(), nil), clk: clk}
}

// TestHealthchecksKeywordFilterCases replays hc/api/tests/test_ping_checks.py
// (PingTestCase): keyword filters on a check, pinged with a body. Its
// filter_body with keywords is Tocsin's keywords block.
func TestHealthchecksKeywordFilterCases(t *testing.T) {
	special := map[int]string{
		1: ", keywords: {success: [ok, success]}",
		2: ", keywords: {failure: [fail, error]}",
		3: ", keywords: {start: [start, init]}",
		6: ", keywords: {success: [done], no_match: fail}", // filter_default_fail
		7: ", keywords: {success: [done]}",
	}
	s := startHC(t, "", 7, special)
	u := hcUUID
	// The file's versions disagree on the answer's body ("Fail", "Start",
	// "Unknown", or "OK"); Healthchecks' views.ping answers "OK" to every
	// ping it records, and so does Tocsin: the state is what is replayed.
	t.Run("test_ping_success", func(t *testing.T) {
		wantStatus(t, s.ping(t, "POST", u(1), []byte("status=success")), 200, "OK")
		if st := s.stored(t, u(1)).Status; st != tocsin.StateUp {
			t.Fatalf("status %s", st)
		}
	})
	t.Run("test_ping_failure", func(t *testing.T) {
		wantStatus(t, s.ping(t, "POST", u(2), []byte("status=fail")), 200, "OK")
		if st := s.stored(t, u(2)).Status; st != tocsin.StateDown {
			t.Fatalf("status %s", st)
		}
	})
	t.Run("test_ping_start", func(t *testing.T) {
		wantStatus(t, s.ping(t, "POST", u(3), []byte("status=start")), 200, "OK")
		if c := s.check(t, u(3)); c.LastStartAt == nil || c.LastPingAt != nil {
			t.Fatalf("check %+v", c)
		}
	})
	t.Run("test_ping_unknown", func(t *testing.T) {
		// No keywords set: no filter, a plain success.
		wantStatus(t, s.ping(t, "POST", u(4), []byte("status=unknown")), 200, "OK")
		if st := s.stored(t, u(4)).Status; st != tocsin.StateUp {
			t.Fatalf("status %s", st)
		}
	})
	t.Run("test_ping_with_no_body", func(t *testing.T) {
		wantStatus(t, s.ping(t, "POST", u(5), []byte("")), 200, "OK")
		if st := s.stored(t, u(5)).Status; st != tocsin.StateUp {
			t.Fatalf("status %s", st)
		}
	})
	// Healthchecks' filter_default_fail, and a body matching no keyword
	// without it: ignored, recorded, nothing changed.
	t.Run("filter_default_fail", func(t *testing.T) {
		wantStatus(t, s.ping(t, "POST", u(6), []byte("nothing matches")), 200, "OK")
		if st := s.stored(t, u(6)).Status; st != tocsin.StateDown {
			t.Fatalf("status %s", st)
		}
	})
	t.Run("no_keyword_is_ignored", func(t *testing.T) {
		wantStatus(t, s.ping(t, "POST", u(7), []byte("nothing matches")), 200, "OK")
		if c := s.check(t, u(7)); c.State != tocsin.StateNew || c.LastPingAt != nil {
			t.Fatalf("check %+v", c)
		}
		if p := s.onePing(t, u(7)); p.Kind != tocsin.PingIgnored || string(p.Body) != "nothing matches" {
			t.Fatalf("ping %+v", p)
		}
	})
}
