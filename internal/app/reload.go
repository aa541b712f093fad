package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/runtime"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/web"
)

// Notification events about the config, sent to operator.notify.
const (
	EventConfigRefused = "tocsin.config_refused"
	EventConfigApplied = "tocsin.config_applied"
)

// removedReason is how an incident of a removed check is resolved.
const removedReason = "check removed from config"

// applyRequest says why a config is applied and whether the reload guard
// may be overridden.
type applyRequest struct {
	why   string // startup or reload
	actor string
	force bool
}

// guardView is the reload guard's view of one apply: what the config
// replaces, what it does to the checks, and what looks torn.
type guardView struct {
	prev     config.Previous
	diff     config.Diff
	findings []config.Finding
}

// Reload reads the config file again and swaps it in whole, or leaves the
// running config untouched and says why. A config the reload guard
// refuses is applied only with req.Force; the refusal is an EConflict
// error, told to the operator channels of the running config.
func (a *App) Reload(ctx context.Context, req web.ReloadRequest) (web.ReloadResult, error) {
	if a.opts.ConfigPath == "" {
		return web.ReloadResult{}, errors.New("tocsin was started without a config file")
	}
	if req.Actor == "" {
		req.Actor = "signal"
	}
	cfg, err := config.Load(a.opts.ConfigPath)
	if err != nil {
		a.metrics.ConfigReload.WithLabelValues("error").Inc()
		a.log.Error("config reload rejected; running config unchanged", "err", err, "actor", req.Actor)
		a.tellRefusal(ctx, req.Actor, a.opts.ConfigPath, "it does not load: "+err.Error(), nil, nil)
		return web.ReloadResult{}, err
	}
	res, err := a.apply(ctx, cfg, applyRequest{why: "reload", actor: req.Actor, force: req.Force})
	if err != nil {
		if tocsin.ErrorCode(err) == tocsin.EConflict {
			a.metrics.ConfigReload.WithLabelValues("refused").Inc()
			return res, err // logged and told by apply
		}
		a.metrics.ConfigReload.WithLabelValues("error").Inc()
		a.log.Error("config reload failed; running config unchanged", "err", err)
		return res, err
	}
	if err := a.engine.Load(ctx); err != nil {
		return res, fmt.Errorf("reload deadlines: %w", err)
	}
	if err := a.probes.Load(ctx); err != nil {
		return res, fmt.Errorf("reload probes: %w", err)
	}
	a.metrics.ConfigReload.WithLabelValues("ok").Inc()
	a.log.Info("config reloaded", "summary", res.Summary, "actor", req.Actor, "forced", res.Forced)
	return res, nil
}

// guard compares cfg with what it replaces: the running config on a
// reload, the database (its config checks, and the channels of the config
// applied last) at start.
func (a *App) guard(ctx context.Context, cfg *config.Config, publicURL string) (guardView, error) {
	stored, err := a.db.ConfigChecks(ctx)
	if err != nil {
		return guardView{}, err
	}
	var prev config.Previous
	fingerprints := map[string]string{}
	if running := a.state.Load(); running != nil {
		prev.ChannelsKnown = true
		for _, ch := range running.Config.Channels {
			prev.Channels = append(prev.Channels, ch.Name)
		}
		prev.Operator = running.Config.Operator.Notify
		for _, c := range running.Config.Checks {
			fingerprints[c.Name] = c.Fingerprint()
		}
	} else {
		last, ok, err := a.db.LastAppliedConfig(ctx)
		if err != nil {
			return guardView{}, err
		}
		var rec appliedRecord
		if ok && json.Unmarshal(last.Data, &rec) == nil && rec.Channels != nil {
			prev.ChannelsKnown = true
			prev.Channels, prev.Operator, fingerprints = rec.Channels, rec.Operator, rec.Fingerprints
		}
	}
	for _, c := range stored {
		prev.Checks = append(prev.Checks, config.PreviousCheck{Name: c.Name, UUID: c.UUID, Slug: c.Slug, Fingerprint: fingerprints[c.Name]})
	}
	// A config with nothing in it has nothing to lose: replacing it is
	// never refused (a restart without a config file, say).
	prev.Present = len(prev.Checks) > 0 || len(prev.Channels) > 0 || len(prev.Operator) > 0
	diff := config.Compare(prev, cfg, publicURL)
	return guardView{prev: prev, diff: diff, findings: config.Guard(prev, cfg, diff)}, nil
}

// appliedRecord is the audit data of an applied config that a later start
// compares the next config with.
type appliedRecord struct {
	Channels     []string          `json:"channels"`
	Operator     []string          `json:"operator_notify"`
	Fingerprints map[string]string `json:"fingerprints"`
}

// refusal is the error of a config the guard refuses, saying how to apply
// it anyway.
func refusal(cfg *config.Config, why string, findings []config.Finding) error {
	how := "POST /api/v1/config/reload?force=true, `tocsin config reload --force`, or reload_guard in the file"
	if why == "startup" {
		how = "start once with `tocsin serve --force-config` (or TOCSIN_FORCE_CONFIG=1), or set reload_guard in the file"
	}
	return tocsin.Errorf(tocsin.EConflict, "config %s refused by the reload guard: %s. The running config is unchanged; "+
		"to apply it anyway: %s", cfg.File, config.FindingsText(findings), how)
}

// refuse records a refused config: logged, audited, and told to the
// operator channels of the running config; at start, when there is none,
// to those of the refused file (st), directly, as the process exits.
func (a *App) refuse(ctx context.Context, cfg *config.Config, st *runtime.Snapshot, req applyRequest, g guardView) (web.ReloadResult, error) {
	err := refusal(cfg, req.why, g.findings)
	a.log.Error("config refused; running config unchanged", "file", cfg.File, "actor", req.actor, "reason", config.FindingsText(g.findings),
		"would_remove", g.diff.Removed)
	res := web.ReloadResult{Status: "refused", Created: nonNil(g.diff.Created), Changed: nonNil(g.diff.Changed),
		Removed: nonNil(g.diff.Removed), Warnings: nonNil(g.diff.Renamed), Findings: g.findings}
	a.tellRefusal(ctx, req.actor, cfg.File, config.FindingsText(g.findings), &res, st)
	return res, err
}

// tellRefusal audits a refused config and queues the news to the operator
// channels of the running config. At start there is no running config and
// the outbox will not run: the operator channels of the refused file (if
// it has any) are told directly instead.
func (a *App) tellRefusal(ctx context.Context, actor, file, reason string, res *web.ReloadResult, refused *runtime.Snapshot) {
	data := map[string]any{"file": file, "actor": actor, "reason": reason}
	if res != nil {
		data["findings"], data["would_create"], data["would_remove"], data["warnings"] = res.Findings, res.Created, res.Removed, res.Warnings
	}
	running := a.state.Load()
	text := fmt.Sprintf("Tocsin REFUSED the config %s: %s. The running config is unchanged.", file, reason)
	var channels []string
	if running != nil {
		channels = running.Config.Operator.Notify
	} else {
		text = fmt.Sprintf("Tocsin REFUSED the config %s at start and did not start: %s. "+
			"To apply it anyway, start it once with --force-config (TOCSIN_FORCE_CONFIG=1).", file, reason)
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := a.db.Write(wctx, func(tx *store.Tx) error {
		if err := tx.Audit(wctx, actor, "config.refused", text, data); err != nil {
			return err
		}
		return a.enqueueOperator(wctx, tx, channels, EventConfigRefused, text, data)
	})
	if err != nil {
		a.log.Error("record config refusal", "err", err)
	}
	switch {
	case running == nil && refused != nil:
		a.sendDirect(ctx, refused, refused.Config.Operator.Notify, EventConfigRefused, text, data)
	case running != nil && len(channels) == 0:
		a.log.Warn("config refused, and the running config has no operator.notify: nobody is told")
	default:
		a.bus.Notify(job.Queued)
	}
}

// enqueueOperator queues a notification about Tocsin itself (no incident)
// to each of channels, in tx.
func (a *App) enqueueOperator(ctx context.Context, tx *store.Tx, channels []string, event, text string, data map[string]any) error {
	for _, name := range channels {
		n := operatorNotification(a.clock.Now(), name, event, text, data)
		if _, err := tx.Enqueue(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// operatorNotification is the document of a report about the config. It
// names no incident; "message" is what email and chat show.
func operatorNotification(now time.Time, channel, event, text string, data map[string]any) *tocsin.Notification {
	now = now.UTC().Truncate(time.Millisecond)
	key := fmt.Sprintf("tocsin-%s-%d-%s", strings.ReplaceAll(event, ".", "-"), now.UnixMilli(), channel)
	body, _ := json.Marshal(map[string]any{"idempotency_key": key, "event": event, "occurred_at": now,
		"message": text, "reason": text, "config": data})
	return &tocsin.Notification{IdempotencyKey: key, Channel: channel, Event: event, Payload: body}
}

// recordApply, in the apply's transaction: notes (and by default resolves)
// the open incidents of removed checks, audits the apply with its inputs,
// and queues the news of removals, renames and forced applies to the
// operator channels of the new config. It returns that news (text and
// data), or "" when there is none.
func (a *App) recordApply(ctx context.Context, tx *store.Tx, st *runtime.Snapshot, cfg *config.Config, req applyRequest, g guardView,
	sync store.SyncResult, out *web.ReloadResult) (string, map[string]any, error) {
	out.Warnings = append(out.Warnings, g.diff.Renamed...)
	for _, name := range g.diff.Created {
		if id, ok := sync.UUIDs[name]; ok && len(g.diff.Renamed) > 0 && !hasUUID(cfg, name) {
			out.Warnings = append(out.Warnings, fmt.Sprintf("check %q has the new ping URL %s/ping/%s", name, st.Env.PublicURL, id))
		}
	}
	fingerprints := make(map[string]string, len(cfg.Checks))
	for _, c := range cfg.Checks {
		fingerprints[c.Name] = c.Fingerprint()
	}
	channels := make([]string, 0, len(cfg.Channels))
	for _, ch := range cfg.Channels {
		channels = append(channels, ch.Name)
	}
	data := map[string]any{"file": cfg.File, "actor": req.actor, "forced": out.Forced, "findings": g.findings,
		"created": sync.Created, "updated": sync.Updated, "removed": sync.Removed, "warnings": out.Warnings,
		"resolved_incidents": out.ResolvedIncidents, "noted_incidents": out.NotedIncidents,
		"channels": channels, "operator_notify": nonNil(cfg.Operator.Notify), "fingerprints": fingerprints}
	msg := fmt.Sprintf("config %s applied", cfg.File)
	if out.Forced {
		msg = fmt.Sprintf("config %s applied by force although the reload guard objected: %s", cfg.File, config.FindingsText(g.findings))
	}
	if err := tx.Audit(ctx, req.actor, "config."+req.why, msg, data); err != nil {
		return "", nil, err
	}
	if len(sync.Removed) == 0 && !out.Forced && len(out.Warnings) == 0 {
		return "", nil, nil
	}
	text := appliedText(cfg, req, sync, out, g)
	return text, data, a.enqueueOperator(ctx, tx, cfg.Operator.Notify, EventConfigApplied, text, data)
}

// closeRemoved, in the apply's transaction and before the checks are
// removed (so that the resolution reaches the check's channels): notes on
// the open incident of each check the config no longer defines that it
// was removed, and resolves it unless reload_guard.removed_incidents is
// keep.
func (a *App) closeRemoved(ctx context.Context, tx *store.Tx, st *runtime.Snapshot, cfg *config.Config, req applyRequest, removed []string,
	out *web.ReloadResult) error {
	if len(removed) == 0 {
		return nil
	}
	now := a.clock.Now()
	ids, err := tx.ConfigCheckIDs(ctx, removed)
	if err != nil {
		return err
	}
	for _, name := range removed {
		id, ok := ids[name]
		if !ok {
			continue
		}
		in, err := tx.OpenIncidentForCheck(ctx, id)
		if err != nil {
			return err
		}
		if in == nil {
			continue
		}
		keep := cfg.ReloadGuard.RemovedIncidents == config.RemovedIncidentsKeep
		msg := fmt.Sprintf("Check %q was removed from the config (%s, by %s)", name, cfg.File, req.actor)
		if keep {
			msg += "; the incident stays open (reload_guard.removed_incidents: keep)"
		}
		if err := incident.Note(ctx, tx, in.ID, now, tocsin.TimelineCheckRemoved, msg,
			map[string]any{"check": name, "file": cfg.File, "actor": req.actor, "forced": req.force}); err != nil {
			return err
		}
		if keep {
			out.NotedIncidents = append(out.NotedIncidents, in.ID)
			continue
		}
		if err := incident.ResolveAuto(ctx, tx, st.Env, in.ID, now, removedReason); err != nil {
			return err
		}
		out.ResolvedIncidents = append(out.ResolvedIncidents, in.ID)
	}
	return nil
}

// appliedText is the operator's report of an applied config.
func appliedText(cfg *config.Config, req applyRequest, sync store.SyncResult, out *web.ReloadResult, g guardView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tocsin applied the config %s (%s, by %s)", cfg.File, req.why, req.actor)
	if out.Forced {
		fmt.Fprintf(&b, " BY FORCE, although the reload guard objected: %s", config.FindingsText(g.findings))
	}
	b.WriteString(".")
	if len(sync.Removed) > 0 {
		fmt.Fprintf(&b, " %d checks removed, no longer monitored: %s.", len(sync.Removed), strings.Join(sync.Removed, ", "))
	}
	if n := len(out.ResolvedIncidents); n > 0 {
		fmt.Fprintf(&b, " %d open incidents of removed checks resolved (%s).", n, removedReason)
	}
	if n := len(out.NotedIncidents); n > 0 {
		fmt.Fprintf(&b, " %d open incidents of removed checks kept open.", n)
	}
	for _, w := range out.Warnings {
		b.WriteString(" Warning: " + w + ".")
	}
	return b.String()
}

// tellDroppedOperator sends the report of an applied config straight to
// the operator channels of the old config that the new one no longer has:
// the outbox could not reach them any more.
func (a *App) tellDroppedOperator(ctx context.Context, old *runtime.Snapshot, cfg *config.Config, text string, data map[string]any) {
	if old == nil {
		return
	}
	kept := map[string]bool{}
	for _, ch := range cfg.Channels {
		kept[ch.Name] = true
	}
	var dropped []string
	for _, name := range old.Config.Operator.Notify {
		if !kept[name] {
			dropped = append(dropped, name)
		}
	}
	a.sendDirect(ctx, old, dropped, EventConfigApplied, text, data)
}

// sendDirect sends a report about the config to the channels named, as st
// defines them, without the outbox: best effort, each send within its
// channel's timeout, failures logged.
func (a *App) sendDirect(ctx context.Context, st *runtime.Snapshot, names []string, event, text string, data map[string]any) {
	for _, name := range names {
		ch, ok := st.Channels[name]
		sender := a.senders[ch.Type]
		if !ok || sender == nil {
			continue
		}
		n := operatorNotification(a.clock.Now(), name, event, text, data)
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ch.Timeout)
		_, err := sender.Send(sctx, ch, n)
		cancel()
		if err != nil {
			a.log.Error("report about the config failed", "channel", name, "event", event, "err", err)
		}
	}
}

// ordered puts names in the order of like (the checks' order in the
// database, oldest first), names like lacks last, sorted: reports list
// removed checks the same way every time.
func ordered(names, like []string) []string {
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	out := make([]string, 0, len(names))
	for _, n := range like {
		if have[n] {
			out = append(out, n)
			delete(have, n)
		}
	}
	rest := slices.Sorted(maps.Keys(have))
	return append(out, rest...)
}

func hasUUID(cfg *config.Config, name string) bool {
	for _, c := range cfg.Checks {
		if c.Name == name {
			return c.UUID != ""
		}
	}
	return false
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// runningConfig describes the running config for `config check --against`.
func (a *App) runningConfig(ctx context.Context) (web.RunningConfig, error) {
	st := a.state.Load()
	stored, err := a.db.ConfigChecks(ctx)
	if err != nil {
		return web.RunningConfig{}, err
	}
	fingerprints := map[string]string{}
	for _, c := range st.Config.Checks {
		fingerprints[c.Name] = c.Fingerprint()
	}
	rc := web.RunningConfig{File: st.Config.File, PublicURL: st.Env.PublicURL, Checks: []config.PreviousCheck{},
		Channels: []string{}, Operator: nonNil(st.Config.Operator.Notify)}
	for _, c := range stored {
		rc.Checks = append(rc.Checks, config.PreviousCheck{Name: c.Name, UUID: c.UUID, Slug: c.Slug, Fingerprint: fingerprints[c.Name]})
	}
	for _, ch := range st.Config.Channels {
		rc.Channels = append(rc.Channels, ch.Name)
	}
	return rc, nil
}

// logApplied logs what an applied config removed and what it warns of.
func (a *App) logApplied(cfg *config.Config, req applyRequest, g guardView, sync store.SyncResult, out *web.ReloadResult) {
	if out.Forced {
		a.log.Warn("config applied by force although the reload guard objected", "file", cfg.File, "actor", req.actor,
			"reason", config.FindingsText(g.findings))
	}
	if len(sync.Removed) > 0 {
		a.log.Warn("checks removed from the config: no longer monitored", "checks", sync.Removed, "file", cfg.File,
			"actor", req.actor, "resolved_incidents", out.ResolvedIncidents, "kept_incidents", out.NotedIncidents)
	}
	for _, w := range out.Warnings {
		a.log.Warn("config: ping URL changed", "warning", w)
	}
}
