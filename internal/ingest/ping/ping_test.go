package ping

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/heartbeat"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

const uuid = "0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70"

func TestParsePath(t *testing.T) {
	ip := func(n int) *int { return &n }
	for _, tc := range []struct {
		path string
		want Route
		err  string
	}{
		{uuid, Route{UUID: uuid, Kind: tocsin.PingSuccess}, ""},
		{uuid + "/", Route{UUID: uuid, Kind: tocsin.PingSuccess}, ""},
		{strings.ToUpper(uuid), Route{UUID: uuid, Kind: tocsin.PingSuccess}, ""},
		{uuid + "/start", Route{UUID: uuid, Kind: tocsin.PingStart}, ""},
		{uuid + "/fail", Route{UUID: uuid, Kind: tocsin.PingFail}, ""},
		{uuid + "/log", Route{UUID: uuid, Kind: tocsin.PingLog}, ""},
		{uuid + "/0", Route{UUID: uuid, Kind: tocsin.PingSuccess, ExitStatus: ip(0)}, ""},
		{uuid + "/3", Route{UUID: uuid, Kind: tocsin.PingFail, ExitStatus: ip(3)}, ""},
		{uuid + "/255", Route{UUID: uuid, Kind: tocsin.PingFail, ExitStatus: ip(255)}, ""},
		{uuid + "/256", Route{}, "invalid url format"},
		{uuid + "/99999999999999999999", Route{}, "invalid url format"},
		{"key/backup", Route{Key: "key", Slug: "backup", Kind: tocsin.PingSuccess}, ""},
		{"key/backup/start", Route{Key: "key", Slug: "backup", Kind: tocsin.PingStart}, ""},
		{"key/backup/7", Route{Key: "key", Slug: "backup", Kind: tocsin.PingFail, ExitStatus: ip(7)}, ""},
		{"key/Backup", Route{}, "invalid url format"},
		{"key/backup/nope", Route{}, "not found"},
		{uuid + "/nope", Route{Key: uuid, Slug: "nope", Kind: tocsin.PingSuccess}, ""}, // a slug URL whose key is a UUID
		{"", Route{}, "not found"},
		{"not-a-uuid", Route{}, "not found"},
		{"a/b/c/d", Route{}, "not found"},
		{"/backup", Route{}, "not found"},
	} {
		got, err := ParsePath(tc.path)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %q", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.path, err)
			continue
		}
		if got.UUID != tc.want.UUID || got.Key != tc.want.Key || got.Slug != tc.want.Slug || got.Kind != tc.want.Kind {
			t.Errorf("%q: got %+v, want %+v", tc.path, got, tc.want)
		}
		if (got.ExitStatus == nil) != (tc.want.ExitStatus == nil) ||
			got.ExitStatus != nil && *got.ExitStatus != *tc.want.ExitStatus {
			t.Errorf("%q: exit status %v, want %v", tc.path, got.ExitStatus, tc.want.ExitStatus)
		}
	}
}

// FuzzParsePath: no input panics, and what parses is well formed.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{uuid, uuid + "/start", uuid + "/256", "key/slug/fail", "k/s/0", "a/b/c/d", "", "/", "//",
		uuid + "/-1", "key/SLUG", "%2e%2e/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		r, err := ParsePath(path)
		if err != nil {
			return
		}
		if (r.UUID == "") == (r.Key == "") {
			t.Fatalf("%q: exactly one of UUID and key must be set: %+v", path, r)
		}
		if r.UUID != "" && !IsUUID(r.UUID) {
			t.Fatalf("%q: bad uuid %q", path, r.UUID)
		}
		if r.ExitStatus != nil && (*r.ExitStatus < 0 || *r.ExitStatus > 255) {
			t.Fatalf("%q: exit status %d", path, *r.ExitStatus)
		}
		if r.Key != "" && (r.Slug == "" || strings.ToLower(r.Slug) != r.Slug) {
			t.Fatalf("%q: bad slug %q", path, r.Slug)
		}
	})
}

type fixture struct {
	db      *store.DB
	handler *Handler
}

func setup(t testing.TB) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	db, err := store.Open(ctx, t.TempDir()+"/t.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Write(ctx, func(tx *store.Tx) error {
		for _, d := range []store.CheckDef{
			{UUID: uuid, Name: "backup", Slug: "backup", Spec: tocsin.ScheduleSpec{Every: time.Hour}, Grace: time.Hour},
			{Name: "twin-a", Slug: "twin", Spec: tocsin.ScheduleSpec{Every: time.Hour}, Grace: time.Hour},
			{Name: "twin-b", Slug: "twin", Spec: tocsin.ScheduleSpec{Every: time.Hour}, Grace: time.Hour},
		} {
			if _, err := tx.CreateCheck(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	log := testkit.Logger()
	env := func() incident.Env { return incident.Env{} }
	rec := heartbeat.NewRecorder(db, clk, env, heartbeat.Hooks{}, log, nil)
	go rec.Run(ctx)
	key := sha256.Sum256([]byte("s3cret-key"))
	return &fixture{db: db, handler: &Handler{Recorder: rec, Log: log, Timeout: 10 * time.Second, Exists: db.PingTargetExists,
		Settings: func() Settings { return Settings{BodyLimit: 1000, PingKeySHA256: key[:]} }}}
}

func (f *fixture) do(method, target, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, req)
	return w
}

func TestHandler(t *testing.T) {
	f := setup(t)
	for _, tc := range []struct {
		method, target, body string
		status               int
		text                 string
	}{
		{"GET", "/ping/" + uuid, "", 200, "OK"},
		{"POST", "/ping/" + uuid + "/start?rid=6ba7b810-9dad-11d1-80b4-00c04fd430c8", "starting", 200, "OK"},
		{"HEAD", "/ping/" + uuid + "/0", "", 200, ""},
		{"PUT", "/ping/" + uuid + "/log", "any method pings", 200, "OK"},
		{"GET", "/ping/" + uuid + "/256", "", 400, "invalid url format"},
		{"GET", "/ping/" + uuid + "?rid=nope", "", 400, "invalid uuid format"},
		{"GET", "/ping/6ba7b810-9dad-11d1-80b4-00c04fd430c8", "", 404, "not found"},
		{"GET", "/ping/nonsense", "", 404, "not found"},
		{"GET", "/ping/s3cret-key/backup/fail", "", 200, "OK"},
		{"GET", "/ping/wrong-key/backup", "", 404, "not found"},
		{"GET", "/ping/s3cret-key/Backup", "", 400, "invalid url format"},
		{"GET", "/ping/s3cret-key/missing", "", 404, "not found"},
		{"GET", "/ping/s3cret-key/twin", "", 409, "ambiguous slug"},
	} {
		w := f.do(tc.method, tc.target, tc.body)
		if w.Code != tc.status || w.Body.String() != tc.text {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.target, w.Code, w.Body.String(), tc.status, tc.text)
		}
		if w.Header().Get("Ping-Body-Limit") != "1000" || w.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s %s: headers %v", tc.method, tc.target, w.Header())
		}
	}
	c, err := f.db.CheckByUUID(context.Background(), uuid)
	if err != nil {
		t.Fatal(err)
	}
	if c.Pings != 5 || c.Status != tocsin.StateDown {
		t.Fatalf("check after pings: %d pings, status %s", c.Pings, c.Status)
	}
	pings, _ := f.db.Pings(context.Background(), c.ID, 10)
	if pings[3].Kind != tocsin.PingStart || string(pings[3].Body) != "starting" || pings[3].RID != "6ba7b810-9dad-11d1-80b4-00c04fd430c8" {
		t.Fatalf("start ping stored as %+v", pings[3])
	}
}

func TestOversizedBodyIsTruncated(t *testing.T) {
	f := setup(t)
	body := strings.Repeat("x", 5000)
	if w := f.do("POST", "/ping/"+uuid+"/log", body); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	c, _ := f.db.CheckByUUID(context.Background(), uuid)
	pings, _ := f.db.Pings(context.Background(), c.ID, 1)
	if len(pings[0].Body) != 1000 || !pings[0].Truncated {
		t.Fatalf("stored %d bytes, truncated=%v", len(pings[0].Body), pings[0].Truncated)
	}
}

// FuzzHandler: whatever the URL and body, the handler answers one of its
// documented statuses and never panics.
func FuzzHandler(f *testing.F) {
	fx := setup(f)
	for _, s := range []string{"/ping/" + uuid, "/ping/" + uuid + "/fail?rid=x", "/ping/s3cret-key/backup/300",
		"/ping/a/b/c/d", "/ping/%zz", "/ping/" + uuid + "/start?rid=6ba7b810-9dad-11d1-80b4-00c04fd430c8"} {
		f.Add(s, "body")
	}
	f.Fuzz(func(t *testing.T, target, body string) {
		if !strings.HasPrefix(target, "/ping/") || strings.ContainsAny(target, " \r\n\t#") {
			return
		}
		req, err := http.NewRequest("POST", "http://tocsin.test"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		w := httptest.NewRecorder()
		fx.handler.ServeHTTP(w, req)
		switch w.Code {
		case 200, 400, 404, 409:
		default:
			t.Fatalf("%q: status %d %q", target, w.Code, w.Body.String())
		}
	})
}
