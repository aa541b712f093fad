package web

// API tokens made at run time (POST/GET/DELETE /api/v1/tokens), and how a
// request's bearer token is found among them. Config tokens are listed
// beside them but live in the config file.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/store"
)

// tokenJSON is an API token as the API shows it: never the token itself,
// but on creation.
type tokenJSON struct {
	ID           int64      `json:"id,omitempty"` // database tokens only
	Name         string     `json:"name"`
	Role         string     `json:"role"`
	Source       string     `json:"source"` // "api" or "config"
	CreatedAt    *time.Time `json:"created_at,omitempty"`
	CreatedBy    string     `json:"created_by,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at"`
	LastUsedAt   *time.Time `json:"last_used_at,omitempty"`
	LastUsedAddr string     `json:"last_used_addr,omitempty"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	Token        string     `json:"token,omitempty"` // on creation only: it is not stored
}

func toTokenJSON(t store.APIToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Role: t.Role, Source: "api", CreatedAt: timePtr(t.CreatedAt), CreatedBy: t.CreatedBy,
		ExpiresAt: timePtr(t.ExpiresAt), LastUsedAt: timePtr(t.LastUsedAt), LastUsedAddr: t.LastUsedAddr,
		RevokedAt: timePtr(t.RevokedAt)}
}

// listTokens lists the config's tokens, then the database's (revoked ones
// too): GET /api/v1/tokens.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	out := []tokenJSON{}
	for _, t := range s.Snapshots.Load().Tokens {
		out = append(out, tokenJSON{Name: t.Name, Role: t.Role.String(), Source: "config"})
	}
	list, err := s.DB.APITokens(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, t := range list {
		out = append(out, toTokenJSON(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

// tokenName is what a token may be called: it shows in the audit log as
// "api:<name>".
var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// tokenRequestJSON asks for a new token.
type tokenRequestJSON struct {
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	ExpiresIn string     `json:"expires_in,omitempty"` // a duration: 720h, 30d
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// createToken makes a token and shows it once: POST /api/v1/tokens with
// {"name", "role", and "expires_in" (a duration) or "expires_at"}.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var in tokenRequestJSON
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large"})
			return
		}
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "body: %v", err))
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "body: one JSON object expected"))
		return
	}
	t, secret, err := s.CreateToken(r, TokenRequest(in))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := toTokenJSON(t)
	out.Token = secret
	writeJSON(w, http.StatusCreated, out)
}

// revokeToken revokes a database token: DELETE /api/v1/tokens/{id}. A
// config token (named instead of numbered) is refused: it lives in the file.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	t, err := s.RevokeToken(r, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toTokenJSON(t))
}

// databaseToken is the principal of a token made through the API, found
// by its hash; false when the database knows no such token. Expired and
// revoked tokens are refused with the time they stopped working.
func (s *Server) databaseToken(r *http.Request, sum []byte) (auth.Principal, bool, error) {
	t, ok, err := s.DB.APITokenBySHA256(r.Context(), sum)
	if err != nil || !ok {
		return auth.Principal{}, false, err
	}
	now := s.Clock.Now()
	if !t.RevokedAt.IsZero() {
		return auth.Principal{}, true, tocsin.Errorf(tocsin.EUnauth, "token revoked at %s", t.RevokedAt.UTC().Format(time.RFC3339))
	}
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return auth.Principal{}, true, tocsin.Errorf(tocsin.EUnauth, "token expired at %s", t.ExpiresAt.UTC().Format(time.RFC3339))
	}
	role, err := auth.ParseRole(t.Role)
	if err != nil {
		return auth.Principal{}, true, err
	}
	s.tokenUses.note(r.Context(), s, t.ID, now, s.sourceAddr(r))
	return auth.Principal{Kind: "token", Name: t.Name, Role: role}, true, nil
}

// tokenUseEvery is how often a token's last use is written at most: a
// busy token must not cost a write per request.
const tokenUseEvery = time.Minute

// tokenUses remembers when each database token's last use was written.
// The zero value is ready.
type tokenUses struct {
	mu      sync.Mutex
	written map[int64]time.Time
}

// note writes the token's last use unless it was written less than
// tokenUseEvery ago by this process. A failed write is logged: it must not
// refuse the request.
func (u *tokenUses) note(ctx context.Context, s *Server, id int64, now time.Time, addr string) {
	u.mu.Lock()
	if last, ok := u.written[id]; ok && now.Sub(last) < tokenUseEvery {
		u.mu.Unlock()
		return
	}
	if u.written == nil {
		u.written = map[int64]time.Time{}
	}
	u.written[id] = now
	u.mu.Unlock()
	if err := s.DB.NoteAPITokenUse(ctx, id, now, addr); err != nil {
		s.Log.Warn("note api token use", "token_id", id, "err", err)
	}
}
