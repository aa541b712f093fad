package notify

import (
	"net/http"
	"slices"
	"testing"

	"github.com/tocsinhq/tocsin/internal/notify/kind"
)

// The order is what config messages list ("supported: ..."): it is part of
// the documented behaviour.
func TestNamesInRegistryOrder(t *testing.T) {
	want := []string{"webhook", "slack", "discord", "teams", "ntfy", "telegram", "email"}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	wantContacts := []string{"email", "slack", "discord", "teams", "ntfy", "telegram", "webhook"}
	if got := ContactNames(); !slices.Equal(got, wantContacts) {
		t.Errorf("ContactNames() = %v, want %v", got, wantContacts)
	}
}

func TestEveryKindIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Kinds() {
		s := k.Spec()
		switch {
		case s.Name == "":
			t.Errorf("%T has no name", k)
		case seen[s.Name]:
			t.Errorf("%q is registered twice", s.Name)
		case !s.URL && !s.To:
			t.Errorf("%q: neither URL nor To says where it sends", s.Name)
		case s.ContactNamesChannel && s.ContactHint == "":
			t.Errorf("%q: contacts name a channel, but it has no contact hint", s.Name)
		case s.TokenInPath && s.ShowTo:
			t.Errorf("%q: a URL that holds a token must not be shown on timelines", s.Name)
		}
		seen[s.Name] = true
		if got, ok := Lookup(s.Name); !ok || got.Spec().Name != s.Name {
			t.Errorf("Lookup(%q) = %v, %v", s.Name, got, ok)
		}
	}
	if _, ok := Lookup("sms"); ok {
		t.Error(`Lookup("sms") found a kind`)
	}
}

func TestDescribeHidesSecretURLs(t *testing.T) {
	for _, tc := range []struct{ typ, to, want string }{
		{"email", "ana@example.com", "email ana@example.com"},
		{"telegram", "123456789", "telegram 123456789"},
		{"webhook", "ops-hook", "webhook ops-hook"},
		{"slack", "https://hooks.slack.com/services/T0/B0/XXXX", "slack"},
		{"discord", "https://discord.com/api/webhooks/1/abc", "discord"},
		{"teams", "https://example.webhook.office.com/x", "teams"},
		{"ntfy", "https://ntfy.sh/secret-topic", "ntfy"},
		{"sms", "+15550100", "sms"},
	} {
		if got := Describe(tc.typ, tc.to); got != tc.want {
			t.Errorf("Describe(%q, %q) = %q, want %q", tc.typ, tc.to, got, tc.want)
		}
	}
}

// Email and Telegram send only with their settings; every other type
// always has a sender.
func TestDefaultBuildsASenderPerKind(t *testing.T) {
	bare := Default(http.DefaultClient, "test", Settings{})
	for _, name := range Names() {
		_, ok := bare[name]
		if want := name != "email" && name != "telegram"; ok != want {
			t.Errorf("without settings: sender for %q: %v, want %v", name, ok, want)
		}
	}
	full := Default(http.DefaultClient, "test", Settings{
		SMTP:     func() kind.SMTP { return kind.SMTP{Host: "smtp.example.com"} },
		Telegram: func() kind.Telegram { return kind.Telegram{Token: "1:x"} },
	})
	if len(full) != len(Names()) {
		t.Errorf("with settings: %d senders, want one per kind (%d)", len(full), len(Names()))
	}
}
