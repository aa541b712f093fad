package auth

// API tokens made at run time: "tocsin_" and 32 random bytes in base64url.
// Only the SHA-256 of a token is stored, so a database read gives no
// credential away; the token itself is shown once, when it is made.

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// TokenPrefix starts every token Tocsin makes, so that secret scanners
// and people can tell one when they see it.
const TokenPrefix = "tocsin_"

// NewToken makes a token from 32 bytes of crypto/rand.
func NewToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new token: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// HashToken is the SHA-256 of a token, as stored and looked up.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// LooksLikeToken reports whether s has the shape of a token NewToken makes.
func LooksLikeToken(s string) bool {
	rest, ok := strings.CutPrefix(s, TokenPrefix)
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil && len(b) == 32
}
