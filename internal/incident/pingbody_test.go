package incident

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
)

func TestFailedPingBody(t *testing.T) {
	code := func(n int) *int { return &n }
	for _, tc := range []struct {
		name string
		ping tocsin.Ping
		want *PingBody
	}{
		{"success", tocsin.Ping{Kind: tocsin.PingSuccess, Body: []byte("all good")}, nil},
		{"exit 0", tocsin.Ping{Kind: tocsin.PingSuccess, ExitStatus: code(0), Body: []byte("all good")}, nil},
		{"fail without body", tocsin.Ping{Kind: tocsin.PingFail}, nil},
		{"fail", tocsin.Ping{Kind: tocsin.PingFail, Body: []byte("boom\n")}, &PingBody{Text: "boom\n"}},
		{"exit 2", tocsin.Ping{Kind: tocsin.PingFail, ExitStatus: code(2), Body: []byte("no space")}, &PingBody{Text: "no space"}},
		{"cut when stored", tocsin.Ping{Kind: tocsin.PingFail, Body: []byte("start"), Truncated: true},
			&PingBody{Text: "start", Truncated: true}},
		{"NUL and bad UTF-8", tocsin.Ping{Kind: tocsin.PingFail, Body: []byte("a\x00b\xffc")}, &PingBody{Text: "a\uFFFDb\uFFFDc"}},
	} {
		got := FailedPingBody(&tc.ping)
		if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	long := FailedPingBody(&tocsin.Ping{Kind: tocsin.PingFail, Body: []byte("a" + strings.Repeat("€", MaxPingBodyInEvent))})
	if len(long.Text) > MaxPingBodyInEvent || len(long.Text) < MaxPingBodyInEvent-3 || !utf8.ValidString(long.Text) ||
		strings.Contains(long.Text, "\uFFFD") || !long.Truncated {
		t.Errorf("long body: %d bytes, valid %v, truncated %v", len(long.Text), utf8.ValidString(long.Text), long.Truncated)
	}
}
