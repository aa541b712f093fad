package config

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tocsinhq/tocsin/internal/auth"
)

// validateSSO checks sso.oidc: a provider people log in with needs the
// public URL its redirect goes back to, and a rule for who may come in.
func (d *decoder) validateSSO(cfg *Config) {
	o := cfg.SSO.OIDC
	if o == nil {
		return
	}
	u, err := url.Parse(o.Issuer)
	switch {
	case o.Issuer == "":
		d.fieldErrorf("sso.oidc.issuer", "required")
	case err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname()))):
		d.fieldErrorf("sso.oidc.issuer", "must be an https URL (http only for localhost), got %s", quote(o.Issuer))
	}
	if o.ClientID == "" {
		d.fieldErrorf("sso.oidc.client_id", "required")
	}
	switch {
	case o.ClientSecret != "" && o.ClientSecretFile != "":
		d.fieldErrorf("sso.oidc.client_secret_file", "set client_secret or client_secret_file, not both")
	case o.ClientSecretFile != "":
		if s, ok := d.readSecretFile("sso.oidc.client_secret_file", o.ClientSecretFile); ok {
			o.ClientSecret = s
		}
	case o.ClientSecret == "":
		d.fieldErrorf("sso.oidc.client_secret", "required: set client_secret or client_secret_file")
	}
	for i, dom := range o.AllowedEmailDomains {
		p := "sso.oidc.allowed_email_domains[" + strconv.Itoa(i) + "]"
		if dom == "" || strings.ContainsAny(dom, "@ /") || strings.HasPrefix(dom, ".") || dom != strings.ToLower(dom) {
			d.fieldErrorf(p, "must be a lowercase domain such as example.com, got %s", quote(dom))
		}
	}
	for _, g := range slices.Sorted(maps.Keys(o.RoleMapping)) {
		if r, err := auth.ParseRole(o.RoleMapping[g]); err != nil || r == auth.Public {
			d.fieldErrorf("sso.oidc.role_mapping."+g, "must be viewer, responder or admin, got %s", quote(o.RoleMapping[g]))
		}
	}
	switch {
	case len(o.RoleMapping) > 0 && o.GroupsClaim == "":
		d.fieldErrorf("sso.oidc.groups_claim", "required with role_mapping: the claim that lists a person's groups")
	case o.GroupsClaim != "" && len(o.RoleMapping) == 0:
		d.fieldErrorf("sso.oidc.role_mapping", "required with groups_claim: which group gives which role")
	}
	if len(o.AllowedEmailDomains) == 0 && len(o.RoleMapping) == 0 {
		d.fieldErrorf("sso.oidc", "set allowed_email_domains or groups_claim with role_mapping: who may log in")
	}
	if cfg.PublicURL == "" {
		d.fieldErrorf("sso.oidc", "needs public_url: the provider redirects to public_url/login/oidc/callback")
	}
}

func isLoopbackHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}
