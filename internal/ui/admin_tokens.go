package ui

import (
	"net/http"

	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/web"
)

// tokenExpiries are the lifetimes the create form offers ("" never
// expires), first the default.
var tokenExpiries = []string{"30d", "7d", "90d", "365d", ""}

// tokensView is the API tokens page's data.
type tokensView struct {
	Config   []configToken
	Database []tokenRow
	Expiries []string
}

type configToken struct{ Name, Role string }

// tokenRow is a database token as the page shows it.
type tokenRow struct {
	store.APIToken
	State string // live, expired or revoked
}

// adminTokensPage lists the API tokens, the config's (read-only: they live
// in the file) and those made through the API or this page, with a form
// to make one and a button to revoke each live one.
func (u *UI) adminTokensPage(w http.ResponseWriter, r *http.Request) {
	list, err := u.srv.DB.APITokens(r.Context())
	if err != nil {
		u.fail(w, r, err)
		return
	}
	v := tokensView{Expiries: tokenExpiries}
	for _, t := range u.srv.Snapshots.Load().Tokens {
		v.Config = append(v.Config, configToken{t.Name, t.Role.String()})
	}
	now := u.srv.Clock.Now()
	for _, t := range list {
		row := tokenRow{APIToken: t, State: "live"}
		switch {
		case !t.RevokedAt.IsZero():
			row.State = "revoked"
		case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
			row.State = "expired"
		}
		v.Database = append(v.Database, row)
	}
	u.renderAdmin(w, r, http.StatusOK, "tokens", "API tokens", v)
}

// createdTokenView is the page that shows a new token's secret, the one
// time it is shown.
type createdTokenView struct {
	Token  store.APIToken
	Secret string
}

// createToken makes a token through the server's CreateToken, the API's
// own call, and answers with the page showing its secret. It is no
// redirect on purpose: the secret is not stored, so no later page can show
// it; posting the form again makes no second token of the same name.
func (u *UI) createToken(w http.ResponseWriter, r *http.Request) {
	req := web.TokenRequest{Name: r.PostFormValue("name"), Role: r.PostFormValue("role"), ExpiresIn: r.PostFormValue("expires_in")}
	t, secret, err := u.srv.CreateToken(r, req)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.renderAdmin(w, r, http.StatusOK, "token-created", "API token "+t.Name+" created", createdTokenView{t, secret})
}

// revokeToken revokes a token through the server's RevokeToken, the API's
// own call.
func (u *UI) revokeToken(w http.ResponseWriter, r *http.Request) {
	if _, err := u.srv.RevokeToken(r, r.PathValue("id")); err != nil {
		u.fail(w, r, err)
		return
	}
	done(w, r, "/admin/tokens", "token-revoked")
}
