package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters of new password hashes: the second recommended
// option of RFC 9106 (section 4), 64 MiB of memory, three passes, four
// lanes, a 16-byte salt and a 32-byte key. docs/benchmarks.md records what
// one hash costs. Hashes keep their parameters, so that a change here
// applies to new passwords and old ones still verify.
const (
	argonMemory  = 64 * 1024 // KiB
	argonTime    = 3
	argonThreads = 4
	argonSaltLen = 16
	argonKeyLen  = 32
)

// hashing bounds the hashes computed at once: each holds argonMemory, so
// that a burst of logins costs at most 4 x 64 MiB, and waits for its turn.
var hashing = make(chan struct{}, 4)

// idKey is argon2.IDKey, at most cap(hashing) at a time.
func idKey(password, salt []byte, passes, memory uint32, threads uint8, keyLen uint32) []byte {
	hashing <- struct{}{}
	defer func() { <-hashing }()
	return argon2.IDKey(password, salt, passes, memory, threads, keyLen)
}

// MinPasswordLen is the shortest password accepted (NIST SP 800-63B).
const MinPasswordLen = 8

// MaxPasswordLen bounds what is hashed, so that a login request cannot
// make the server hash megabytes.
const MaxPasswordLen = 1024

// CheckPassword says why a new password is refused, or nil.
func CheckPassword(password string) error {
	switch {
	case len(password) < MinPasswordLen:
		return fmt.Errorf("password too short: at least %d characters", MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return fmt.Errorf("password too long: at most %d bytes", MaxPasswordLen)
	}
	return nil
}

// HashPassword hashes password with argon2id and a random salt, in the
// PHC string format: $argon2id$v=19$m=65536,t=3,p=4$<salt>$<key>, salt and
// key in unpadded standard base64.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := idKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// ErrBadHash: a stored hash that is not one HashPassword writes.
var ErrBadHash = errors.New("not an argon2id password hash")

// VerifyPassword reports whether password matches encoded, a hash from
// HashPassword, comparing the keys in constant time.
func VerifyPassword(encoded, password string) (bool, error) {
	if len(password) > MaxPasswordLen {
		return false, nil
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, ErrBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrBadHash
	}
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil {
		return false, ErrBadHash
	}
	// Bounds, so that a damaged row cannot make a login take minutes.
	if memory < 8*uint32(threads) || memory > 1<<20 || passes < 1 || passes > 16 || threads < 1 {
		return false, ErrBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false, ErrBadHash
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false, ErrBadHash
	}
	got := idKey([]byte(password), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
