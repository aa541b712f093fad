package app

import (
	"context"
	"fmt"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/notify"
	"github.com/tocsinhq/tocsin/internal/probe/kinds"
	"github.com/tocsinhq/tocsin/internal/runtime"
	"github.com/tocsinhq/tocsin/internal/statuspage"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/web"
)

// apply syncs the checks of cfg into the store (with an audit entry) and
// swaps in the Snapshot compiled from it. Either both happen or neither. A
// config the reload guard refuses is neither, unless req.force.
func (a *App) apply(ctx context.Context, cfg *config.Config, req applyRequest) (web.ReloadResult, error) {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	var out web.ReloadResult
	st, err := runtime.Compile(cfg, runtime.Options{AdminToken: a.opts.AdminToken, Listen: a.opts.Listen, Log: a.log})
	if err != nil {
		return out, err
	}
	defs := make([]store.CheckDef, 0, len(cfg.Checks))
	for _, c := range cfg.Checks {
		def := store.CheckDef{UUID: c.UUID, Name: c.Name, Slug: c.Slug,
			Spec:  tocsin.ScheduleSpec{Every: c.Schedule.Every.D(), Cron: c.Schedule.Cron, TZ: c.Schedule.TZ},
			Grace: c.Grace.D(), Notify: c.Notify, AutoResolve: c.AutoResolve == nil || *c.AutoResolve, Methods: c.Methods,
			ManualResume: c.ManualResume, RunbookURL: c.RunbookURL, Description: c.Description, Tags: c.Tags,
			EscalationPolicy: c.EscalationPolicy, FlapChanges: c.Flap.Changes, FlapWindow: c.Flap.Window.D(),
			FlapStable: c.Flap.Stable.D(), ReopenAfter: c.ReopenAfter.D()}
		if k := c.Keywords; k != nil {
			def.Keywords = &tocsin.KeywordFilter{Failure: k.Failure, Success: k.Success, Start: k.Start,
				DefaultFail: k.NoMatch == config.NoMatchFail}
		}
		if c.IsProbe() {
			spec, err := probeSpec(c.Probe, a.clock)
			if err != nil {
				return out, fmt.Errorf("%s:%d: checks %q: probe: %w", cfg.File, c.Line, c.Name, err)
			}
			def.Probe, def.Interval = spec, c.Interval.D()
			def.FailuresBeforeDown, def.SuccessesBeforeUp = c.FailuresBeforeDown, c.SuccessesBeforeUp
		}
		defs = append(defs, def)
	}
	silences, err := runtime.Silences(cfg)
	if err != nil {
		return out, err
	}
	g, err := a.guard(ctx, cfg, st.Env.PublicURL)
	if err != nil {
		return out, fmt.Errorf("apply config: %w", err)
	}
	if len(g.findings) > 0 && !req.force {
		return a.refuse(ctx, cfg, st, req, g)
	}
	out.Forced = len(g.findings) > 0
	var res store.SyncResult
	var report string
	var reportData map[string]any
	err = a.db.Write(ctx, func(tx *store.Tx) error {
		out.ResolvedIncidents, out.NotedIncidents, out.Warnings = nil, nil, nil // a retried transaction starts over
		if err := a.closeRemoved(ctx, tx, st, cfg, req, g.diff.Removed, &out); err != nil {
			return err
		}
		var err error
		if res, err = tx.SyncChecks(ctx, defs); err != nil {
			return err
		}
		res.Removed = ordered(res.Removed, g.diff.Removed)
		if _, err := tx.SyncSilences(ctx, silences, a.clock.Now()); err != nil {
			return err
		}
		// A changed period or grace moves deadlines.
		if err := tx.RecomputeDeadlines(ctx, res); err != nil {
			return err
		}
		report, reportData, err = a.recordApply(ctx, tx, st, cfg, req, g, res, &out)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("apply config: %w", err)
	}
	old := a.state.Swap(st)
	a.metrics.InitChannels(channelNames(cfg))
	a.alerts.PolicyChanged()
	a.bus.Notify(job.Rotas) // the rotas may have changed
	if report != "" {
		a.bus.Notify(job.Queued)
		a.tellDroppedOperator(ctx, old, cfg, report, reportData)
	}
	a.logApplied(cfg, req, g, res, &out)
	if err := a.silencesChanged(ctx); err != nil {
		return out, err
	}
	for _, w := range cfg.Warnings {
		a.log.Warn("config", "warning", w)
	}
	for _, u := range cfg.Users {
		for _, c := range u.Contacts {
			if _, ok := a.senders[c.Type]; !ok {
				a.log.Warn("this build has no sender for a contact type; its pages are recorded as failed sends",
					"user", u.Name, "type", c.Type)
			}
		}
	}
	for _, ch := range cfg.Channels {
		if _, ok := a.senders[ch.Type]; !ok {
			a.log.Warn("this build has no sender for a channel type; its notifications are recorded as failed sends",
				"channel", ch.Name, "type", ch.Type)
		}
	}
	if len(st.Tokens) == 0 {
		a.log.Warn("no API tokens in the config or environment: the management API takes only tokens made through it and logged-in users (set api_tokens or TOCSIN_ADMIN_TOKEN)")
	}
	out.Status, out.Created, out.Changed, out.Removed = "reloaded", nonNil(res.Created), nonNil(res.Updated), nonNil(res.Removed)
	out.Warnings, out.Findings = nonNil(out.Warnings), g.findings
	out.Summary = fmt.Sprintf("%d checks (%d created, %d changed, %d removed), %d channels, %d services, %d integrations, %d silences",
		len(defs), len(res.Created), len(res.Updated), len(res.Removed), len(cfg.Channels), len(cfg.Services),
		len(cfg.Integrations), len(silences))
	return out, nil
}

// silencesChanged makes the alert processor read silences again and look
// at the alerts they held.
func (a *App) silencesChanged(ctx context.Context) error {
	if err := a.alerts.Load(ctx); err != nil {
		return fmt.Errorf("load silences: %w", err)
	}
	a.bus.Notify(job.Silences)
	return nil
}

// channel resolves an outbox channel: a configured one, or a contact
// method of a user (a webhook contact names a configured channel).
func (a *App) channel(name string) (tocsin.Channel, bool) {
	st := a.state.Load()
	if ch, ok := st.Channels[name]; ok {
		return ch, true
	}
	if ch, ok := statuspage.SubscriberChannel(name); ok {
		return ch, true
	}
	user, i, ok := escalation.ParseContactChannel(name)
	if !ok || st.Policy.Directory == nil {
		return tocsin.Channel{}, false
	}
	u, ok := st.Policy.Directory.Users[user]
	if !ok || i >= len(u.Contacts) {
		return tocsin.Channel{}, false
	}
	c := u.Contacts[i]
	if k, _ := notify.Lookup(c.Type); k != nil && k.Spec().ContactNamesChannel {
		ch, ok := st.Channels[c.To]
		ch.Name = name
		return ch, ok
	}
	return tocsin.Channel{Name: name, Type: c.Type, URL: c.To}, true
}

// probeSpec turns a config probe into its stored spec, building the prober
// once so that a setting the kind rejects fails the load, not the first run.
func probeSpec(p config.Probe, clk clock.Clock) (string, error) {
	spec := kinds.Spec{Type: p.Type, Timeout: p.Timeout.D(), Settings: p.Settings}
	if _, err := kinds.Build(spec, clk); err != nil {
		return "", err
	}
	return spec.Marshal()
}
