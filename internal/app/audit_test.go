package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin/internal/store"
)

// TestAuditOfAPIChanges: a pause, a resume and a reload through the API
// are in the audit log with the token's role and the request's address,
// though the code that writes them knows nothing of requests.
func TestAuditOfAPIChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	const uuid = "0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70"
	if err := os.WriteFile(path, []byte("checks:\n  - {name: backup, uuid: "+uuid+", schedule: {every: 1h}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := start(t, path, nil)
	for _, p := range []string{"/api/v1/checks/" + uuid + "/pause", "/api/v1/checks/" + uuid + "/resume", "/api/v1/config/reload"} {
		if code := r.do(t, "POST", p, nil); code != 200 {
			t.Fatalf("POST %s: %d", p, code)
		}
	}
	var audit struct{ Entries []store.AuditEntry }
	if code := r.get(t, "/api/v1/audit?actor=api:admin", &audit); code != 200 {
		t.Fatalf("audit: %d", code)
	}
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action)
		if e.Role != "admin" || e.Addr != "127.0.0.1" || e.Outcome != "ok" {
			t.Errorf("audit entry %+v", e)
		}
	}
	if strings.Join(actions, " ") != "config.reload check.resume check.pause" {
		t.Fatalf("audit actions %v", actions)
	}
}
