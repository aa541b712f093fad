package chat

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRedirectIsAFailedAttempt: a chat service answering 302 or 307 fails
// the attempt, not retried, with a message naming the status and the
// redirect; the redirect target sees no request (no empty GET recorded as
// delivered, no body or token re-sent elsewhere), even with a client whose
// policy follows redirects.
func TestRedirectIsAFailedAttempt(t *testing.T) {
	for _, k := range kinds {
		for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
			t.Run(k.name+"/"+http.StatusText(code), func(t *testing.T) {
				var atTarget, atService atomic.Int32
				target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					atTarget.Add(1)
				}))
				defer target.Close()
				service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					atService.Add(1)
					http.Redirect(w, r, target.URL+"/moved", code)
				}))
				defer service.Close()
				retry, err := send(t, k, service.URL)
				if err == nil {
					t.Fatal("a redirect counted as delivered")
				}
				if retry {
					t.Fatalf("a redirect is retried: %v", err)
				}
				if msg := err.Error(); !strings.Contains(msg, http.StatusText(code)) || !strings.Contains(msg, "redirect") {
					t.Fatalf("message %q names neither the status nor the redirect", msg)
				}
				checkNoSecret(t, err)
				if atService.Load() != 1 || atTarget.Load() != 0 {
					t.Fatalf("requests: %d at the service, %d at the redirect target; want 1 and 0", atService.Load(), atTarget.Load())
				}
			})
		}
	}
}
