package ui

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
)

// How the incident page's live updates watch the store.
const (
	livePoll      = 2 * time.Second  // how often the incident is read
	liveKeepAlive = 20 * time.Second // a comment line this often keeps proxies from closing the stream
	liveWrite     = 30 * time.Second // how long one write may take
)

// liveStreams ends the event streams when the server shuts down: they
// never end by themselves, and a graceful shutdown waits for every request.
type liveStreams struct {
	once sync.Once
	done chan struct{}
}

func newLiveStreams() liveStreams { return liveStreams{done: make(chan struct{})} }

// EndLiveUpdates ends the incident pages' event streams (the browsers
// reconnect to the next server): for http.Server.RegisterOnShutdown.
func (u *UI) EndLiveUpdates() { u.live.once.Do(func() { close(u.live.done) }) }

// incidentEvents serves the incident's changes as server-sent events: an
// event "changed" whenever its status or timeline changes, which the page's
// script answers by reloading (the same page a reload shows). It reads one
// cheap row every livePoll, and ends when the client goes.
func (u *UI) incidentEvents(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	ctx := r.Context()
	last, err := u.srv.DB.IncidentMark(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	// The stream outlives the server's WriteTimeout: each write gets its
	// own deadline, in real time (a network deadline, not Tocsin's clock).
	extend := func() error { return rc.SetWriteDeadline(clock.Real{}.Now().Add(liveWrite)) }
	if err := extend(); err != nil {
		u.srv.Log.Error("live updates: cannot extend the write deadline", "err", err)
		http.Error(w, "live updates are not available", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	send := func(s string) bool {
		if extend() != nil {
			return false
		}
		if _, err := fmt.Fprint(w, s); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 5000\n: watching incident\n\n") {
		return
	}
	poll := time.NewTicker(livePoll) // cadence only; no time is read from it
	defer poll.Stop()
	quiet := 0 // polls since the last line sent
	for {
		select {
		case <-ctx.Done():
			return
		case <-u.live.done:
			return
		case <-poll.C:
		}
		m, err := u.srv.DB.IncidentMark(ctx, id)
		if err != nil {
			if ctx.Err() == nil {
				u.srv.Log.Error("live updates: read incident", "incident_id", id, "err", err)
			}
			return
		}
		line := ""
		switch {
		case m != last:
			last, line = m, changedEvent(m)
		case time.Duration(quiet)*livePoll >= liveKeepAlive:
			line = ": keep-alive\n\n"
		}
		if line == "" {
			quiet++
			continue
		}
		quiet = 0
		if !send(line) {
			return
		}
	}
}

// changedEvent is the event that says the incident changed, with its mark
// as data (the script needs none; it helps whoever reads the stream).
func changedEvent(m store.IncidentMark) string {
	return fmt.Sprintf("event: changed\ndata: {\"status\":%q,\"timeline_id\":%d}\n\n", m.Status, m.TimelineID)
}
