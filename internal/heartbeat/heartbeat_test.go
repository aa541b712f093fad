package heartbeat

import (
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
)

var t0 = time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)

func newCheck() *tocsin.Check {
	return &tocsin.Check{ID: 1, Name: "job", Status: tocsin.StateNew, Schedule: tocsin.Every(time.Minute), Grace: 30 * time.Second}
}

func ping(kind tocsin.PingKind, at time.Time, rid string) *tocsin.Ping {
	return &tocsin.Ping{Kind: kind, At: at, RID: rid, Method: "GET"}
}

func TestApplyPingSequence(t *testing.T) {
	c := newCheck()
	steps := []struct {
		name      string
		kind      tocsin.PingKind
		at        time.Duration // after t0
		rid       string
		wantState tocsin.CheckState
		wentDown  bool
		cameUp    bool
		wantDown  time.Duration // GoesDownAt after t0; -1 for none
	}{
		{"first success", tocsin.PingSuccess, 0, "", tocsin.StateUp, false, false, 90 * time.Second},
		{"start", tocsin.PingStart, 10 * time.Second, "", tocsin.StateStarted, false, false, 40 * time.Second},
		{"success ends run", tocsin.PingSuccess, 20 * time.Second, "", tocsin.StateUp, false, false, 110 * time.Second},
		{"log changes nothing", tocsin.PingLog, 25 * time.Second, "", tocsin.StateUp, false, false, 110 * time.Second},
		{"fail goes down at once", tocsin.PingFail, 30 * time.Second, "", tocsin.StateDown, true, false, -1},
		{"another fail stays down", tocsin.PingFail, 31 * time.Second, "", tocsin.StateDown, false, false, -1},
		{"start while down", tocsin.PingStart, 32 * time.Second, "", tocsin.StateDown, false, false, -1},
		{"success recovers", tocsin.PingSuccess, 40 * time.Second, "", tocsin.StateUp, false, true, 130 * time.Second},
	}
	for _, s := range steps {
		p := ping(s.kind, t0.Add(s.at), s.rid)
		tr := ApplyPing(c, p)
		if tr.To != s.wantState || tr.WentDown != s.wentDown || tr.CameUp != s.cameUp {
			t.Fatalf("%s: got %+v, want state %s wentDown=%v cameUp=%v", s.name, tr, s.wantState, s.wentDown, s.cameUp)
		}
		want := time.Time{}
		if s.wantDown >= 0 {
			want = t0.Add(s.wantDown)
		}
		if !c.AlertAfter.Equal(want) {
			t.Fatalf("%s: alert_after %v, want %v", s.name, c.AlertAfter, want)
		}
	}
	if c.Pings != int64(len(steps)) {
		t.Fatalf("pings numbered %d, want %d", c.Pings, len(steps))
	}
}

func TestRunDurationAndRunIDs(t *testing.T) {
	c := newCheck()
	ApplyPing(c, ping(tocsin.PingStart, t0, "A"))
	// A success of another run leaves run A pending.
	p := ping(tocsin.PingSuccess, t0.Add(5*time.Second), "B")
	ApplyPing(c, p)
	if c.LastStartAt.IsZero() || p.Duration != 0 {
		t.Fatalf("mismatched rid ended the run: start=%v duration=%v", c.LastStartAt, p.Duration)
	}
	p = ping(tocsin.PingSuccess, t0.Add(7*time.Second), "A")
	ApplyPing(c, p)
	if p.Duration != 7*time.Second || c.LastDuration != 7*time.Second || !c.LastStartAt.IsZero() {
		t.Fatalf("duration %v / %v, start %v", p.Duration, c.LastDuration, c.LastStartAt)
	}
	// A fail of another run still ends the pending one.
	ApplyPing(c, ping(tocsin.PingStart, t0.Add(10*time.Second), "C"))
	ApplyPing(c, ping(tocsin.PingFail, t0.Add(11*time.Second), "D"))
	if !c.LastStartAt.IsZero() {
		t.Fatal("fail did not end the pending run")
	}
}

func TestExitStatus(t *testing.T) {
	c := newCheck()
	code := 3
	p := &tocsin.Ping{Kind: tocsin.PingFail, ExitStatus: &code, At: t0}
	tr := ApplyPing(c, p)
	if !tr.WentDown || tr.Reason != "exit status 3" {
		t.Fatalf("got %+v", tr)
	}
}

func TestMethodsAndManualResume(t *testing.T) {
	c := newCheck()
	c.Methods = "POST"
	p := ping(tocsin.PingSuccess, t0, "")
	ApplyPing(c, p)
	if p.Kind != tocsin.PingIgnored || c.Status != tocsin.StateNew {
		t.Fatalf("GET on a POST-only check: kind %s status %s", p.Kind, c.Status)
	}
	c = newCheck()
	c.Status, c.ManualResume = tocsin.StatePaused, true
	p = ping(tocsin.PingFail, t0, "")
	ApplyPing(c, p)
	if p.Kind != tocsin.PingIgnored || c.Status != tocsin.StatePaused {
		t.Fatalf("ping on a manual-resume paused check: kind %s status %s", p.Kind, c.Status)
	}
	c.ManualResume = false
	ApplyPing(c, ping(tocsin.PingSuccess, t0, ""))
	if c.Status != tocsin.StateUp {
		t.Fatalf("a ping should un-pause: %s", c.Status)
	}
}

func TestStatesOverTime(t *testing.T) {
	c := newCheck()
	ApplyPing(c, ping(tocsin.PingSuccess, t0, ""))
	for _, tc := range []struct {
		at   time.Duration
		want tocsin.CheckState
	}{
		{59 * time.Second, tocsin.StateUp},
		{60 * time.Second, tocsin.StateGrace},
		{89 * time.Second, tocsin.StateGrace},
		{90 * time.Second, tocsin.StateDown},
	} {
		if got := c.StateAt(t0.Add(tc.at)); got != tc.want {
			t.Errorf("at +%s: %s, want %s", tc.at, got, tc.want)
		}
	}
}

func TestExpire(t *testing.T) {
	c := newCheck()
	if _, ok := Expire(c, t0.Add(24*time.Hour)); ok {
		t.Fatal("a new check never pinged must not go down by waiting")
	}
	ApplyPing(c, ping(tocsin.PingSuccess, t0, ""))
	if _, ok := Expire(c, t0.Add(89*time.Second)); ok {
		t.Fatal("expired before the deadline")
	}
	tr, ok := Expire(c, t0.Add(90*time.Second))
	if !ok || !tr.WentDown || tr.From != tocsin.StateGrace || c.Status != tocsin.StateDown || !c.AlertAfter.IsZero() {
		t.Fatalf("got %+v ok=%v status=%s", tr, ok, c.Status)
	}
	if _, ok := Expire(c, t0.Add(time.Hour)); ok {
		t.Fatal("a down check expired twice")
	}

	// A start that never finishes goes down after grace, even when new.
	c = newCheck()
	ApplyPing(c, ping(tocsin.PingStart, t0, ""))
	tr, ok = Expire(c, t0.Add(30*time.Second))
	if !ok || tr.From != tocsin.StateStarted {
		t.Fatalf("hung run: %+v ok=%v", tr, ok)
	}
	// Paused checks never expire.
	c = newCheck()
	ApplyPing(c, ping(tocsin.PingSuccess, t0, ""))
	c.Status = tocsin.StatePaused
	c.AlertAfter = c.GoesDownAt()
	if _, ok := Expire(c, t0.Add(24*time.Hour)); ok {
		t.Fatal("paused check expired")
	}
}
