package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"

	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/notify/outbound"
	"github.com/tocsinhq/tocsin/internal/runtime"
	"github.com/tocsinhq/tocsin/internal/store"
)

// reportStall tells the operator channels that a loop stalled or recovered.
// It sends directly, not through the outbox: the outbox may be what stalled.
func (a *App) reportStall(ctx context.Context, loop string, stalled bool, since time.Duration) {
	state := "recovered"
	a.metrics.LoopStalled.WithLabelValues(loop).Set(0)
	if stalled {
		state = "stalled"
		a.metrics.LoopStalled.WithLabelValues(loop).Set(1)
	}
	st := a.state.Load()
	now := a.clock.Now().UTC()
	key := fmt.Sprintf("tocsin-watchdog-%s-%s-%d", loop, state, now.UnixMilli())
	msg := fmt.Sprintf("Tocsin's %s loop stalled (no progress for %s)", loop, since.Round(time.Second))
	fields := map[string]any{"idempotency_key": key, "event": "tocsin.loop_" + state, "occurred_at": now, "loop": loop}
	if stalled {
		fields["silent_for_seconds"] = since.Seconds()
	} else {
		// One report per episode: a loop that stalled again meanwhile is
		// in the same one.
		msg = fmt.Sprintf("Tocsin's %s loop recovered (the episode lasted %s)", loop, since.Round(time.Second))
		fields["episode_seconds"] = since.Seconds()
	}
	fields["message"] = msg
	body, _ := json.Marshal(fields)
	n := &tocsin.Notification{IdempotencyKey: key, Event: "tocsin.loop_" + state, Payload: body}
	for _, name := range st.Config.Operator.Notify {
		ch, ok := st.Channels[name]
		sender := a.senders[ch.Type]
		if !ok || sender == nil {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, ch.Timeout)
		_, err := sender.Send(sctx, ch, n)
		cancel()
		if err != nil {
			a.log.Error("watchdog report failed", "channel", name, "loop", loop, "err", err)
		}
	}
	// Best effort: the store may be what is stuck.
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	data := map[string]any{"loop": loop}
	for _, k := range []string{"silent_for_seconds", "episode_seconds"} {
		if v, ok := fields[k]; ok {
			data[k] = v
		}
	}
	if err := a.db.Audit(actx, "watchdog", "loop."+state, fmt.Sprintf("%s loop %s", loop, state), data); err != nil {
		a.log.Warn("watchdog audit", "err", err)
	}
}

// selfHeartbeat pings the configured outside monitor, so that Tocsin's own
// death, or a Tocsin alive but unable to do its work, is noticed. Before
// each ping it checks its health afresh (see health.go): a success ping
// says the store took a write within watchdog.write_timeout and no loop is
// stalled. Otherwise it pings <url>/fail with the reasons as the body, or,
// with on_unhealthy: skip, sends nothing. Every step has a deadline.
//
// It returns the job's run: each pings once and is next due
// self_heartbeat.every later (a second without a URL, to pick up a
// changed config).
func (a *App) selfHeartbeat() func(context.Context, time.Time) (time.Time, error) {
	// At start the first write probe and the first round of the election
	// are a moment away: wait for them (a little) rather than tell the
	// outside monitor of a failure that is only the start.
	settle := 50
	return func(ctx context.Context, now time.Time) (time.Time, error) {
		if settle > 0 && len(a.healthProblems()) > 0 {
			settle--
			return now.Add(100 * time.Millisecond), nil
		}
		settle = 0
		hb := a.state.Load().Config.SelfHeartbeat
		if hb.URL == "" {
			return now.Add(time.Second), nil
		}
		a.sendSelfHeartbeat(ctx, hb, a.checkHealth(ctx))
		return now.Add(hb.Every.D()), nil
	}
}

// sendSelfHeartbeat pings hb.URL, or reports problems to its /fail. The URL
// is a credential: logs show it redacted (scheme://host/…) and errors
// never quote it. A redirect is not followed.
func (a *App) sendSelfHeartbeat(ctx context.Context, hb config.SelfHeartbeat, problems []string) {
	if ctx.Err() != nil {
		return
	}
	shown := outbound.Redacted(hb.URL)
	method, target, body := http.MethodGet, hb.URL, ""
	if len(problems) > 0 {
		if hb.OnUnhealthy == config.OnUnhealthySkip {
			a.log.Warn("self heartbeat withheld: unhealthy", "problems", problems)
			return
		}
		var err error
		if target, err = failURL(hb.URL); err != nil {
			a.log.Error("self heartbeat: the URL is not valid", "url", shown)
			return
		}
		method, body = http.MethodPost, strings.Join(problems, "\n")+"\n"
		a.log.Warn("self heartbeat reports failure", "problems", problems)
	}
	ctx, cancel := context.WithTimeout(ctx, hb.Timeout.D())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, strings.NewReader(body))
	if err != nil {
		a.log.Error("self heartbeat: the URL is not valid", "url", shown)
		return
	}
	req.Header.Set("User-Agent", "Tocsin/"+a.opts.Version)
	if body != "" {
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		a.log.Warn("self heartbeat failed", "url", shown, "err", outbound.TransportError("self heartbeat", err, hb.URL, target))
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case outbound.IsRedirect(resp.StatusCode):
		a.log.Warn("self heartbeat refused", "url", shown, "status", resp.StatusCode,
			"err", outbound.RedirectError("self heartbeat", resp))
	case resp.StatusCode >= 300:
		a.log.Warn("self heartbeat refused", "url", shown, "status", resp.StatusCode)
	}
}

// checkpoint moves the SQLite WAL into the database once a second, off
// the writer's path.
func (a *App) checkpoint(ctx context.Context, now time.Time) (time.Time, error) {
	if _, err := a.db.Checkpoint(ctx, 4096); err != nil && ctx.Err() == nil {
		a.log.Warn("checkpoint", "err", err)
	}
	return now.Add(time.Second), nil
}

// gapCheck looks for holes in the on-call rotas every
// oncall.gap_check_every, and at once after start and each reload (a
// Rotas change on the bus).
func (a *App) gapCheck(ctx context.Context, now time.Time) (time.Time, error) {
	st := a.state.Load()
	a.checkGaps(ctx, st)
	return now.Add(st.Config.OnCall.GapCheckEvery.D()), nil
}

func (a *App) checkGaps(ctx context.Context, st *runtime.Snapshot) {
	if st.Policy.Directory == nil || len(st.Policy.Directory.Schedules) == 0 {
		return
	}
	owner := map[string]string{}
	for _, s := range st.Config.Schedules {
		owner[s.Name] = s.Team
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var opened, resolved int
	err := a.db.Write(wctx, func(tx *store.Tx) (err error) {
		opened, resolved, err = escalation.CheckGaps(wctx, tx, st.Env, st.Policy.Directory, owner, a.clock.Now(),
			st.Config.OnCall.GapHorizon.D())
		return err
	})
	if err != nil {
		a.log.Error("check on-call gaps", "err", err)
		return
	}
	if opened+resolved > 0 {
		a.log.Warn("on-call gaps", "warned", opened, "resolved", resolved)
		a.bus.Notify(job.Queued)
	}
}
