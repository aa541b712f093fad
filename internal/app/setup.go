package app

import (
	"context"

	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/web"
)

// offerSetup makes a one-time setup link when no admin can log in (no
// login of a config user with role admin, nor one the setup link made),
// so that the first admin can choose a password. The link works once,
// for web.SetupTTL; each start makes a new one and ends the ones before.
// It returns the link, or "" when an admin login exists.
func (a *App) offerSetup(ctx context.Context) (string, error) {
	logins, err := a.db.LoginRoles(ctx)
	if err != nil {
		return "", err
	}
	snap := a.state.Load()
	for user, saved := range logins {
		role, inConfig := snap.UserRoles[user]
		if inConfig && role == auth.Admin || !inConfig && saved == auth.Admin.String() {
			return "", nil
		}
	}
	token, now := auth.NewSecret(), a.clock.Now()
	t := store.LoginToken{TokenSHA256: auth.HashSecret(token), Kind: store.LoginSetup, Role: auth.Admin.String(),
		CreatedAt: now, ExpiresAt: now.Add(web.SetupTTL)}
	err = a.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.EndSetupTokens(ctx); err != nil {
			return err
		}
		if err := tx.CreateLoginToken(ctx, t); err != nil {
			return err
		}
		return tx.Audit(ctx, "system", "login.setup_link", "setup link made: no admin login exists",
			map[string]any{"expires_at": t.ExpiresAt})
	})
	if err != nil {
		return "", err
	}
	return snap.Env.PublicURL + "/setup/" + token, nil
}

// SetupURL is the setup link made at start, or "" when an admin login
// existed then.
func (a *App) SetupURL() string { return a.setupURL }
