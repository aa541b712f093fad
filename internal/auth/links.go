package auth

// Signed links: the acknowledge and resolve links that pages carry, so
// that the person paged can act on the incident from the notification
// itself, without an API token. A link names one incident and one action,
// expires, and is signed with HMAC-SHA256 under the server's links secret;
// anything else about it is refused.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Actions a link can carry.
const (
	LinkAcknowledge = "acknowledge"
	LinkResolve     = "resolve"
)

// LinkClaim is what a link allows: Action on Incident until Expires, on
// behalf of Recipient, who was paged (recorded as the actor, "link:" and
// the recipient): a user's name, or "channel:<name>" for a page to a
// channel (a fallback, the operator's, a service's or check's channel).
type LinkClaim struct {
	Incident  int64
	Action    string
	Recipient string
	Expires   time.Time
}

// Errors of VerifyLink. They are safe to show.
var (
	ErrLinkMalformed = errors.New("link is malformed")
	ErrLinkSignature = errors.New("link signature does not match")
	ErrLinkExpired   = errors.New("link has expired")
)

const linkVersion = "v1"

// SignLink returns the token of c: the claim in base64url, a dot, and its HMAC.
func SignLink(secret []byte, c LinkClaim) string {
	payload := strings.Join([]string{linkVersion, strconv.FormatInt(c.Incident, 10), c.Action,
		strconv.FormatInt(c.Expires.Unix(), 10), c.Recipient}, "|")
	p := base64.RawURLEncoding.EncodeToString([]byte(payload))
	return p + "." + base64.RawURLEncoding.EncodeToString(linkMAC(secret, p))
}

// VerifyLink checks a token's signature and expiry at now and returns its
// claim. The signature is compared in constant time, before anything in
// the payload is trusted.
func VerifyLink(secret []byte, token string, now time.Time) (LinkClaim, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 2048 {
		return LinkClaim{}, ErrLinkMalformed
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil {
		return LinkClaim{}, ErrLinkMalformed
	}
	if !hmac.Equal(got, linkMAC(secret, p)) {
		return LinkClaim{}, ErrLinkSignature
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(p)
	if err != nil {
		return LinkClaim{}, ErrLinkMalformed
	}
	f := strings.SplitN(string(raw), "|", 5)
	if len(f) != 5 || f[0] != linkVersion || (f[2] != LinkAcknowledge && f[2] != LinkResolve) {
		return LinkClaim{}, ErrLinkMalformed
	}
	id, err1 := strconv.ParseInt(f[1], 10, 64)
	exp, err2 := strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil || id < 1 {
		return LinkClaim{}, ErrLinkMalformed
	}
	c := LinkClaim{Incident: id, Action: f[2], Expires: time.Unix(exp, 0).UTC(), Recipient: f[4]}
	if !now.Before(c.Expires) {
		return LinkClaim{}, fmt.Errorf("%w at %s", ErrLinkExpired, c.Expires.Format(time.RFC3339))
	}
	return c, nil
}

func linkMAC(secret []byte, payload string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(payload))
	return h.Sum(nil)
}
