package web

// The administrator's actions: API tokens, invites, sessions and config
// reloads. The API's handlers and the admin pages both call these
// methods, so that a change made on a page takes the API's path and lands
// in the audit log as the person who made it.

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// TokenRequest asks for a new API token: a name, a role, and at most one
// of ExpiresIn (a duration: 720h, 30d) and ExpiresAt; neither: it never
// expires.
type TokenRequest struct {
	Name      string
	Role      string
	ExpiresIn string
	ExpiresAt *time.Time
}

// CreateToken makes an API token for the request's principal and audits
// it; it returns the token as saved and its secret, which is not stored
// and must be shown to the person once.
func (s *Server) CreateToken(r *http.Request, in TokenRequest) (store.APIToken, string, error) {
	if !tokenName.MatchString(in.Name) {
		return store.APIToken{}, "", tocsin.Errorf(tocsin.EInvalid,
			"name: %q must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit", in.Name)
	}
	role, err := auth.ParseRole(in.Role)
	if err != nil {
		return store.APIToken{}, "", tocsin.Errorf(tocsin.EInvalid, "role: %v", err)
	}
	now := s.Clock.Now()
	t := store.APIToken{Name: in.Name, Role: role.String(), CreatedAt: now, CreatedBy: actor(r)}
	switch {
	case in.ExpiresIn != "" && in.ExpiresAt != nil:
		return t, "", tocsin.Errorf(tocsin.EInvalid, "give expires_in or expires_at, not both")
	case in.ExpiresIn != "":
		d, err := config.ParseDuration(in.ExpiresIn)
		if err != nil || d <= 0 {
			return t, "", tocsin.Errorf(tocsin.EInvalid, "expires_in: %q is not a positive duration", in.ExpiresIn)
		}
		t.ExpiresAt = now.Add(d)
	case in.ExpiresAt != nil:
		if !in.ExpiresAt.After(now) {
			return t, "", tocsin.Errorf(tocsin.EInvalid, "expires_at: %s is in the past", in.ExpiresAt.UTC().Format(time.RFC3339))
		}
		t.ExpiresAt = in.ExpiresAt.UTC()
	}
	for _, c := range s.Snapshots.Load().Tokens {
		if c.Name == in.Name {
			return t, "", tocsin.Errorf(tocsin.EConflict, "the config's api_tokens name a token %q", in.Name)
		}
	}
	secret, err := auth.NewToken()
	if err != nil {
		return t, "", err
	}
	t.SHA256 = auth.HashToken(secret)
	err = s.DB.Write(r.Context(), func(tx *store.Tx) error {
		if err := tx.CreateAPIToken(r.Context(), &t); err != nil {
			return err
		}
		return tx.AuditEvent(r.Context(), s.auditEvent(r, "token.create", "API token "+t.Name+" created with role "+t.Role,
			map[string]any{"token_id": t.ID, "name": t.Name, "role": t.Role, "expires_at": timePtr(t.ExpiresAt)}))
	})
	if err != nil {
		return t, "", err
	}
	return t, secret, nil
}

// RevokeToken revokes the database token ref (its id) and audits it;
// revoking it again changes nothing. A config token, named instead of
// numbered, is refused: it lives in the file.
func (s *Server) RevokeToken(r *http.Request, ref string) (store.APIToken, error) {
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id < 1 {
		for _, c := range s.Snapshots.Load().Tokens {
			if c.Name == ref {
				return store.APIToken{}, tocsin.Errorf(tocsin.EConflict,
					"token %q comes from the config file (api_tokens); remove it there and reload", c.Name)
			}
		}
		return store.APIToken{}, tocsin.Errorf(tocsin.EInvalid, "token id must be a positive number, got %q", ref)
	}
	var t store.APIToken
	now := s.Clock.Now()
	err = s.DB.Write(r.Context(), func(tx *store.Tx) error {
		if t, err = tx.RevokeAPIToken(r.Context(), id, now); err != nil {
			return err
		}
		if !t.RevokedAt.Equal(now) {
			return nil // revoked before: nothing changed
		}
		return tx.AuditEvent(r.Context(), s.auditEvent(r, "token.revoke", "API token "+t.Name+" revoked",
			map[string]any{"token_id": t.ID, "name": t.Name}))
	})
	return t, err
}

// Invite is a one-time link with which a config user chooses a password.
type Invite struct {
	User      string
	URL       string
	ExpiresAt time.Time
}

// InviteUser makes an invite link for the config user name and audits
// it. The link is not stored (only its hash): it is shown once.
func (s *Server) InviteUser(r *http.Request, name string) (Invite, error) {
	ctx, snap := r.Context(), s.Snapshots.Load()
	if _, ok := snap.UserRoles[name]; !ok {
		return Invite{}, tocsin.Errorf(tocsin.ENotFound, "no user %q in the config", name)
	}
	token, now := auth.NewSecret(), s.Clock.Now()
	t := store.LoginToken{TokenSHA256: auth.HashSecret(token), Kind: store.LoginInvite, User: name, CreatedAt: now,
		ExpiresAt: now.Add(InviteTTL)}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateLoginToken(ctx, t); err != nil {
			return err
		}
		return tx.Audit(ctx, actor(r), "login.invite", "invite link made for "+name,
			map[string]any{"user": name, "expires_at": t.ExpiresAt})
	})
	if err != nil {
		return Invite{}, err
	}
	return Invite{User: name, URL: snap.Env.PublicURL + "/invite/" + token, ExpiresAt: t.ExpiresAt}, nil
}

// RevokeUserSessions ends every session of the user name, audited, and
// says how many it ended.
func (s *Server) RevokeUserSessions(r *http.Request, name string) (int64, error) {
	ctx := r.Context()
	var n int64
	err := s.DB.Write(ctx, func(tx *store.Tx) (err error) {
		if n, err = tx.RevokeUserSessions(ctx, name); err != nil {
			return err
		}
		return tx.Audit(ctx, actor(r), "sessions.revoke", strconv.FormatInt(n, 10)+" sessions of "+name+" revoked",
			map[string]any{"user": name, "revoked": n})
	})
	return n, err
}

// ReloadConfig reads the config file again for the request's principal
// (Actions.Reload, audited as them). A config the reload guard refuses is
// an EConflict error, whose result holds the guard's findings; any other
// error is a file that does not load (its text names file:line). Either
// way the running config is unchanged.
func (s *Server) ReloadConfig(r *http.Request, force bool) (ReloadResult, error) {
	res, err := s.Actions.Reload(s.auditContext(r), ReloadRequest{Force: force, Actor: actor(r)})
	if err != nil {
		s.Log.Warn("config reload rejected", "err", err, "actor", actor(r))
	}
	return res, err
}
