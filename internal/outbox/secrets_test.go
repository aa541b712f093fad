package outbox

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// careless is a sender whose errors quote what they should not.
type careless struct{ panics bool }

func (c careless) Send(_ context.Context, ch tocsin.Channel, _ *tocsin.Notification) (bool, error) {
	if c.panics {
		panic("cannot post to " + ch.URL)
	}
	return false, fmt.Errorf("post %s (secret %s, header %s): refused", ch.URL, ch.Secret, ch.Headers["X-Auth"])
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestErrorsNeverShowChannelSecrets: whatever a sender's error says (or
// a panic's value), the timeline, the stored last error and the log never
// show the channel URL's token, password or path token, its secret or
// its header values.
func TestErrorsNeverShowChannelSecrets(t *testing.T) {
	for _, panics := range []bool{false, true} {
		t.Run(fmt.Sprintf("panics=%v", panics), func(t *testing.T) {
			f := setup(t)
			f.cfg.MaxAttempts = 1
			f.channels["ops"] = tocsin.Channel{Name: "ops", Type: "careless",
				URL: "https://user:PASSWORD1@hook.example.com/hooks/PATHTOKEN-0123456789?token=QUERYTOKEN", Secret: "HMACSECRET",
				Headers: map[string]string{"X-Auth": "HEADERSECRET", "X-Env": "prod"}}
			f.enqueue(t, "ops", 1)
			var log lockedBuffer
			ctx, cancel := context.WithCancel(context.Background())
			d := New(f.db, clock.Real{}, slog.New(slog.NewTextHandler(&log, nil)),
				map[string]tocsin.Sender{"careless": careless{panics: panics}},
				func(name string) (tocsin.Channel, bool) { ch, ok := f.channels[name]; return ch, ok },
				func() Config { return f.cfg }, "test-owner")
			done := make(chan struct{})
			go func() { run(ctx, d); close(done) }()
			defer func() { cancel(); <-done }()
			testkit.Eventually(t, "give up", func() bool { return f.statuses(t)["ops"][tocsin.NotifyFailed] == 1 })
			ns, _ := f.db.Notifications(context.Background(), f.incident)
			in, _ := f.db.Incident(context.Background(), f.incident)
			var timeline strings.Builder
			for _, e := range in.Timeline {
				fmt.Fprintf(&timeline, "%s %s\n", e.Message, e.Data)
			}
			for where, text := range map[string]string{"last error": ns[0].LastError, "timeline": timeline.String(), "log": log.String()} {
				for _, s := range []string{"PASSWORD1", "PATHTOKEN", "QUERYTOKEN", "HMACSECRET", "HEADERSECRET"} {
					if strings.Contains(text, s) {
						t.Errorf("%s shows %s:\n%s", where, s, text)
					}
				}
			}
			if !strings.Contains(timeline.String(), "FAILED for good") {
				t.Errorf("no failure on the timeline:\n%s", timeline.String())
			}
		})
	}
}
