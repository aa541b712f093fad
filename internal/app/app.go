// Package app wires Tocsin together: config, store, engine, outbox, ping
// recorder, watchdog and HTTP server. cmd/tocsin and the end-to-end tests
// start it whole.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/engine"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/heartbeat"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/ingest/ping"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/leader"
	"github.com/tocsinhq/tocsin/internal/metrics"
	"github.com/tocsinhq/tocsin/internal/notify"
	"github.com/tocsinhq/tocsin/internal/notify/kind"
	"github.com/tocsinhq/tocsin/internal/notify/outbound"
	"github.com/tocsinhq/tocsin/internal/outbox"
	"github.com/tocsinhq/tocsin/internal/probe"
	"github.com/tocsinhq/tocsin/internal/runtime"
	"github.com/tocsinhq/tocsin/internal/sdnotify"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/watchdog"
	"github.com/tocsinhq/tocsin/internal/web"
)

// Options say how to run.
type Options struct {
	ConfigPath string // empty: no config file
	Listen     string
	Database   string
	AdminToken string // a plain API token named "admin", from TOCSIN_ADMIN_TOKEN
	Version    string
	Clock      clock.Clock
	Log        *slog.Logger
	// HTTPClient sends notifications and heartbeats; nil: a default one.
	HTTPClient *http.Client
	// ForceConfig applies the config at start even if the reload guard
	// refuses it (compared with the database).
	ForceConfig bool
}

// App is a running Tocsin.
type App struct {
	opts     Options
	log      *slog.Logger
	clock    clock.Clock
	db       *store.DB
	state    atomic.Pointer[runtime.Snapshot]
	reloadMu sync.Mutex

	metrics    *metrics.Metrics
	engine     *engine.Engine
	probes     *engine.ProbeRunner
	recorder   *heartbeat.Recorder
	alerts     *alerting.Processor
	escalation *escalation.Stage
	bus        job.Bus     // changes from writers to the jobs they wake
	jobs       *job.Runner // runs the jobs
	outboxWake *job.Wake   // job.Queued on the bus pokes the outbox
	dispatcher *outbox.Dispatcher
	watchdog   *watchdog.Watchdog
	senders    notify.Senders
	client     *http.Client
	elector    *leader.Elector
	listener   net.Listener
	server     *http.Server
	gapWake    chan struct{}
	health     health             // the write probes (health.go)
	notifier   *sdnotify.Notifier // systemd's notify socket; nil if none
}

// Leader election: a replica that dies costs at most leaseTTL+leaseEvery
// of engine time before another takes over.
const (
	leaseTTL   = 8 * time.Second
	leaseEvery = 2 * time.Second
)

// leaderLoops run only on the replica that holds the engine lease.
var leaderLoops = []string{"engine", "probes", "gap_check", alerting.TimedJobName, escalation.JobName}

// New opens the store, loads the config and builds every part; Run starts them.
func New(ctx context.Context, opts Options) (*App, error) {
	if opts.Clock == nil || opts.Log == nil {
		return nil, errors.New("app: clock and logger are required")
	}
	cfg := &config.Config{}
	if opts.ConfigPath != "" {
		var err error
		if cfg, err = config.Load(opts.ConfigPath); err != nil {
			return nil, err
		}
	} else if cfg, _ = config.Parse("(defaults)", nil); cfg == nil {
		return nil, errors.New("app: default config is invalid")
	} else {
		cfg.Empty = false // no file, so not an empty one
	}
	a := &App{opts: opts, log: opts.Log, clock: opts.Clock, client: opts.HTTPClient, gapWake: make(chan struct{}, 1)}
	var err error
	if a.notifier, err = sdnotify.FromEnv(os.Getenv, os.Getpid(), opts.Clock); err != nil {
		return nil, err
	}
	if a.client == nil {
		a.client = &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 16,
			IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second}}
	}
	// Notifications and the self-heartbeat never follow a redirect.
	a.client = outbound.NoRedirects(a.client)
	db, err := store.Open(ctx, opts.Database, store.Options{Clock: opts.Clock, Exclusive: true})
	if err != nil {
		return nil, err
	}
	a.db = db
	self := owner()
	if !db.Shared() {
		// One process owns a SQLite database: claims left by a crashed run
		// are ours to take back at once. On a shared one, the claims of a
		// dead replica are taken once its member lease lapses.
		if err := db.ReleaseClaims(ctx, ""); err != nil {
			db.Close()
			return nil, err
		}
	}
	a.senders = notify.Default(a.client, opts.Version, notify.Settings{Clock: a.clock,
		SMTP: func() kind.SMTP { return a.state.Load().SMTP() }, Telegram: func() kind.Telegram { return a.state.Load().Telegram() }})
	a.metrics = metrics.New(a.outboxDepth, func() float64 { return float64(a.engine.Scheduled()) })
	a.watchdog = watchdog.New(a.clock, a.log.With("component", "watchdog"),
		func() time.Duration { return a.state.Load().Config.Watchdog.StallAfter.D() }, a.reportStall)
	a.watchdog.MinEpisode = func() time.Duration { return a.state.Load().Config.Watchdog.MinEpisode.D() }
	a.metrics.InitSeries()
	a.watchdog.OnRegister = func(loop string) { a.metrics.LoopStalled.WithLabelValues(loop) } // 0 from the start
	a.engine = engine.New(db, a.clock, a.env, a.log.With("component", "engine"), a.watchdog.Beat("engine"))
	a.dispatcher = outbox.New(db, a.clock, a.log.With("component", "outbox"), a.senders, a.channel, func() outbox.Config { return a.state.Load().Outbox() },
		self, a.watchdog.Register("outbox"))
	a.recorder = heartbeat.NewRecorder(db, a.clock, a.env, heartbeat.Hooks{
		Deadline:  a.engine.Schedule,
		Committed: a.pingsCommitted,
	}, a.log.With("component", "pings"), a.watchdog.Register("pings"))
	a.alerts = alerting.New(db, a.clock, a.env, func() *alerting.Policy { return a.state.Load().Policy },
		a.log.With("component", "alerts"), a.watchdog.Register("alerts"))
	a.alerts.OnQueued = a.dispatcher.Poke
	a.alerts.Bus = &a.bus
	a.jobs = &job.Runner{Clock: a.clock, Log: a.log.With("component", "jobs"), Watchdog: a.watchdog, Metrics: a.metrics}
	a.escalation = escalation.NewStage(db, func() (incident.Env, *escalation.Directory) {
		st := a.state.Load()
		return st.Env, st.Directory()
	}, &a.bus)
	a.bus.Subscribe(job.Paging, a.escalation.Wake())
	a.bus.Subscribe(job.Paging|job.Silences, a.alerts.Wake())
	a.outboxWake = job.NewWake()
	a.bus.Subscribe(job.Queued, a.outboxWake)
	// SQLite's lock file already makes this process the only one: it
	// takes the lease at once, whoever held it last, and keeps leading
	// while the store is locked.
	a.elector = &leader.Elector{DB: db, Clock: a.clock, Log: a.log.With("component", "leader"), Holder: self,
		TTL: leaseTTL, Every: leaseEvery, Force: !db.Shared(), Beat: a.watchdog.Register("leader")}
	a.alerts.OnCommitted = func(o alerting.Outcome) {
		for outcome, n := range map[string]int{"new": o.New, "updated": o.Updated, "resolved": o.Resolved,
			"silenced": o.Silenced, "inhibited": o.Inhibited} {
			a.metrics.Alerts.WithLabelValues(outcome).Add(float64(n))
		}
	}
	a.probes = engine.NewProbeRunner(db, a.clock, a.env, func() engine.GuardConfig { return a.state.Load().ProbeGuard() }, a.log.With("component", "probes"), a.watchdog.Beat("probes"))
	a.probes.Deadline = a.engine.Schedule // a flapping probe's stable period ends on the engine's clock
	a.probes.OnQueued = a.queued
	a.probes.OnResult = func(_ int64, r probe.Result) {
		outcome := "ok"
		if !r.OK {
			outcome = r.Class
		}
		a.metrics.ProbeRuns.WithLabelValues(outcome).Inc()
		a.metrics.ProbeLatency.Observe(r.Latency.Seconds())
	}
	a.engine.OnExpire = func(_ int64, late time.Duration) {
		a.metrics.DeadlineLag.Observe(late.Seconds())
		a.metrics.StateChanges.WithLabelValues("up", "down").Inc()
	}
	a.engine.OnQueued = a.queued
	a.dispatcher.OnResult = func(channel, outcome string, latency time.Duration) {
		a.metrics.Sends.WithLabelValues(channel, outcome).Inc()
		if latency > 0 {
			a.metrics.SendLatency.WithLabelValues(channel).Observe(latency.Seconds())
		}
	}
	if _, err := a.apply(ctx, cfg, applyRequest{why: "startup", actor: "startup", force: opts.ForceConfig}); err != nil {
		db.Close()
		return nil, err
	}
	// Read once: a change of these takes a restart. The deadlines and
	// probes are loaded by each term of leadership (see lead).
	a.probes.Concurrency, a.probes.Retention = cfg.Probes.Concurrency, cfg.Probes.Retention.D()
	for _, name := range leaderLoops {
		a.watchdog.Beat(name)          // registers it
		a.watchdog.Standby(name, true) // until this replica leads
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	a.listener = ln
	srv := &web.Server{DB: db, Clock: a.clock, Log: a.log.With("component", "http"), Metrics: a.metrics,
		Ping: &ping.Handler{Recorder: a.recorder, Settings: func() ping.Settings { return a.state.Load().Ping() }, Exists: db.PingTargetExists,
			Log: a.log.With("component", "ping"), Timeout: 30 * time.Second},
		Snapshots: &a.state, Alerts: a.alerts, Actions: actions{a}, Replica: self}
	a.server = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	return a, nil
}

// Addr is the address the server listens on.
func (a *App) Addr() string { return a.listener.Addr().String() }

// DB is the store, for tests and one-shot commands.
func (a *App) DB() *store.DB { return a.db }

// Watchdog is the loop watchdog, for tests.
func (a *App) Watchdog() *watchdog.Watchdog { return a.watchdog }

// Engine is the deadline engine, for tests.
func (a *App) Engine() *engine.Engine { return a.engine }

// Run serves until ctx ends, then shuts down gracefully: the HTTP server
// stops taking requests and finishes those in flight, the loops finish
// their current step, and the store is closed.
func (a *App) Run(ctx context.Context) error {
	loops, stopLoops := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, run := range []func(context.Context){a.recorder.Run, a.alerts.Run, a.dispatcher.Run, a.watchdog.Run,
		a.selfHeartbeat, a.healthLoop, a.checkpointLoop, a.elect, a.pokeOutbox} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(loops)
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(a.listener) }()
	a.log.Info("tocsin serving", "addr", a.Addr(), "database", a.db.Path(), "config", a.opts.ConfigPath, "version", a.opts.Version,
		"replica", a.elector.Holder)
	a.sdNotify("READY=1")
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	a.log.Info("shutting down")
	a.sdNotify("STOPPING=1")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if serr := a.server.Shutdown(sctx); serr != nil {
		a.log.Warn("http shutdown", "err", serr)
	}
	stopLoops()
	wg.Wait()
	if cerr := a.db.Close(); cerr != nil {
		a.log.Warn("close store", "err", cerr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// elect runs the leader election; while this replica leads, it runs the
// engine's loops.
func (a *App) elect(ctx context.Context) { a.elector.Run(ctx, a.lead) }

// Leading reports whether this replica runs the engine now.
func (a *App) Leading() bool {
	_, ok := a.elector.Leading()
	return ok
}

// lead runs the engine's loops for one term: deadlines, probes, rota gap
// warnings, the alert processor's timed work and escalation steps, with
// writes fenced by ctx's lease. It returns when ctx ends.
func (a *App) lead(ctx context.Context) {
	for _, name := range leaderLoops {
		a.watchdog.Standby(name, false)
	}
	a.metrics.Leader.Set(1)
	defer func() {
		a.metrics.Leader.Set(0)
		for _, name := range leaderLoops {
			a.watchdog.Standby(name, true)
		}
	}()
	// The last leader's pings and deadlines are in the store, not in this
	// replica's queues: read them before acting on any.
	for {
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := errors.Join(a.engine.Load(lctx), a.probes.Load(lctx))
		cancel()
		if err == nil {
			break
		}
		a.log.Error("leader: load deadlines and probes; retrying in 1s", "err", err)
		if !clock.Sleep(ctx, a.clock, time.Second) {
			return
		}
	}
	// The jobs run at once: first pages and steps that fell due meanwhile.
	defer a.jobs.Start(ctx, []job.Job{a.alerts.TimedJob(), a.escalation.Job()}, true)()
	loops := []func(context.Context){a.engine.Run, a.probes.Run, a.gapCheck}
	if a.db.Shared() {
		loops = append(loops, a.followDeadlines)
	}
	var wg sync.WaitGroup
	for _, run := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(ctx)
		}()
	}
	wg.Wait()
}

// followDeadlines puts in the engine's queue, every second, the deadlines
// due within the next two that pings and API calls served by the other
// replicas set: this replica's engine was not told of them.
func (a *App) followDeadlines(ctx context.Context) {
	for {
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := a.engine.LoadDue(lctx, a.clock.Now().Add(2*time.Second)); err != nil && ctx.Err() == nil {
			a.log.Error("leader: read deadlines", "err", err)
		}
		cancel()
		if !clock.Sleep(ctx, a.clock, time.Second) {
			return
		}
	}
}

func (a *App) env() incident.Env { return a.state.Load().Env }

func (a *App) outboxDepth() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := a.db.OutboxDepth(ctx)
	if err != nil {
		return -1
	}
	return float64(n)
}

// queued wakes the outbox, and the escalation stage, which pages the
// first level of a check's escalation policy.
func (a *App) queued() {
	a.dispatcher.Poke()
	a.bus.Notify(job.Paging)
}

// pokeOutbox wakes the outbox on each job.Queued change on the bus (the
// escalation stage queues pages) until ctx ends.
func (a *App) pokeOutbox(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.outboxWake.C():
			a.dispatcher.Poke()
		}
	}
}

func (a *App) pingsCommitted(pings []tocsin.Ping, trs []heartbeat.Transition, queued bool) {
	a.metrics.PingBatch.Observe(float64(len(pings)))
	for i, p := range pings {
		a.metrics.Pings.WithLabelValues(string(p.Kind)).Inc()
		if trs[i].Changed() {
			a.metrics.StateChanges.WithLabelValues(string(trs[i].From), string(trs[i].To)).Inc()
		}
	}
	if queued {
		a.queued()
	}
}

// ready lists what keeps the server from being ready: the health check's
// problems (see health.go) and a store that does not answer a read.
func (a *App) ready(ctx context.Context) []string {
	problems := a.healthProblems()
	if err := a.db.Ping(ctx); err != nil {
		problems = append(problems, "store unreachable")
		a.log.Error("readyz: store", "err", err)
	}
	return problems
}

// owner names this process in leases and outbox claims.
func owner() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%x", host, os.Getpid(), b)
}
