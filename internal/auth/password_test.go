package auth

import (
	"encoding/base64"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Errorf("hash %q: want argon2id with its parameters", h)
	}
	if h2, _ := HashPassword("correct horse battery"); h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false,
		strings.Repeat("x", MaxPasswordLen+1): false} {
		ok, err := VerifyPassword(h, pw)
		if err != nil || ok != want {
			t.Errorf("verify %.20q: %v, %v; want %v", pw, ok, err, want)
		}
	}
}

// TestPasswordVerifyKeepsParameters: a hash made with other parameters
// (an older or a tuned Tocsin) still verifies, by the parameters it names.
func TestPasswordVerifyKeepsParameters(t *testing.T) {
	// argon2id, m=1024 KiB, t=1, p=1, of "hunter2hunter2", salt "saltsaltsaltsalt".
	h := "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + argonKey("hunter2hunter2", "saltsaltsaltsalt", 1, 1024, 1)
	if ok, err := VerifyPassword(h, "hunter2hunter2"); !ok || err != nil {
		t.Errorf("verify: %v, %v", ok, err)
	}
}

func TestPasswordBadHash(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA",
		"$argon2id$v=16$m=1024,t=1,p=1$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA",
		"$argon2id$v=19$m=1024,t=1,p=1$!!$c2FsdHNhbHRzYWx0c2FsdA"} {
		if ok, err := VerifyPassword(h, "x"); ok || err != ErrBadHash {
			t.Errorf("%q: %v, %v; want ErrBadHash", h, ok, err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	if CheckPassword("short") == nil || CheckPassword(strings.Repeat("x", MaxPasswordLen+1)) == nil {
		t.Error("a too short or too long password was accepted")
	}
	if err := CheckPassword("long enough"); err != nil {
		t.Error(err)
	}
}

// BenchmarkHashPassword is the cost of one password hash (and of one
// login attempt), recorded in docs/benchmarks.md.
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

func argonKey(password, salt string, passes, memory uint32, threads uint8) string {
	return base64.RawStdEncoding.EncodeToString(argon2.IDKey([]byte(password), []byte(salt), passes, memory, threads, 32))
}
