package config

import (
	"strings"
	"testing"
)

// TestSSOSecret reads the client secret from its file and never prints it.
func TestSSOSecret(t *testing.T) {
	cfg, err := Load("testdata/good/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.SSO.OIDC
	if o == nil || o.ClientSecret != "oidc-client-secret-for-tests" || o.RoleMapping["tocsin-admins"] != "admin" {
		t.Fatalf("sso.oidc: %+v", o)
	}
	if out := cfg.Redacted(); strings.Contains(out, "oidc-client-secret-for-tests") || !strings.Contains(out, "secrets/oidc-client") {
		t.Errorf("the printed config:\n%s", out)
	}
	cfg, err = Parse("inline.yaml", []byte("public_url: https://t.example.com\nsso:\n  oidc:\n    issuer: http://localhost:9998\n"+
		"    client_id: tocsin\n    client_secret: inline-secret\n    allowed_email_domains: [example.com]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if out := cfg.Redacted(); strings.Contains(out, "inline-secret") {
		t.Errorf("the printed config shows the client secret:\n%s", out)
	}
	if cfg.SSO.OIDC.ClientSecret != "inline-secret" {
		t.Error("Redacted changed the config's secret")
	}
}
