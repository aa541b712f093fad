package auth

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

func TestNewToken(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two tokens alike: %q", a)
	}
	for _, tok := range []string{a, b} {
		if !LooksLikeToken(tok) || len(tok) != len(TokenPrefix)+43 {
			t.Fatalf("token %q has the wrong shape", tok)
		}
	}
	want := sha256.Sum256([]byte(a))
	if !bytes.Equal(HashToken(a), want[:]) {
		t.Fatal("HashToken is not the SHA-256 of the token")
	}
	for _, bad := range []string{"", "tocsin_", "tocsin_abc", "other_" + a[len(TokenPrefix):], a + "x"} {
		if LooksLikeToken(bad) {
			t.Errorf("%q looks like a token", bad)
		}
	}
}
