package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// NewSecret returns 32 random bytes in unpadded URL-safe base64: the value
// of a session cookie, a CSRF token or the token of an invite or setup
// link.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is the hex SHA-256 of a secret: what the database keeps of
// session cookies and link tokens, so that a copy of the database lets
// nobody in. The secrets are random and long, so one fast hash is enough.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
