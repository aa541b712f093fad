package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func TestSignVerify(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := LinkClaim{Incident: 42, Action: LinkAcknowledge, Recipient: "ana|x", Expires: now.Add(24 * time.Hour)}
	tok := SignLink(secret, c)
	got, err := VerifyLink(secret, tok, now)
	if err != nil || got != c {
		t.Fatalf("Verify = %+v, %v; want %+v", got, err, c)
	}
	if _, err := VerifyLink(secret, tok, now.Add(24*time.Hour)); !errors.Is(err, ErrLinkExpired) {
		t.Errorf("at expiry: %v", err)
	}
	if _, err := VerifyLink([]byte("another secret of thirty-two bytes!"), tok, now); !errors.Is(err, ErrLinkSignature) {
		t.Errorf("other secret: %v", err)
	}
	// Changing any byte of the payload breaks the signature.
	p, sig, _ := strings.Cut(tok, ".")
	forged := SignLink(secret, LinkClaim{Incident: 43, Action: LinkAcknowledge, Expires: c.Expires})
	fp, _, _ := strings.Cut(forged, ".")
	if _, err := VerifyLink(secret, fp+"."+sig, now); !errors.Is(err, ErrLinkSignature) {
		t.Errorf("payload swapped: %v", err)
	}
	for _, bad := range []string{"", ".", "x", p, p + ".", "!!." + sig, p + ".!!", strings.Repeat("a", 3000) + "." + sig} {
		if _, err := VerifyLink(secret, bad, now); err == nil {
			t.Errorf("VerifyLink(%q) accepted", bad)
		}
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Add(SignLink(secret, LinkClaim{Incident: 1, Action: LinkResolve, Expires: now.Add(time.Hour)}))
	f.Add("djF8MXxyZXNvbHZlfDE3NzIzNzA4MDB8.AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := VerifyLink(secret, tok, now)
		if err != nil {
			return
		}
		if SignLink(secret, c) != tok {
			t.Fatalf("accepted a token that is not the signature of its claim: %q", tok)
		}
	})
}
