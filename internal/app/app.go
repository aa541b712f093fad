// Package app wires Tocsin together: config, store, engine, outbox, ping
// recorder, watchdog and HTTP server. cmd/tocsin and the end-to-end tests
// start it whole.
package app

import (
	"context"
	"errors"
	"fmt"
	"github.com/tocsinhq/tocsin/internal/checkadmin"
	"github.com/tocsinhq/tocsin/internal/hcapi"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

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
	"github.com/tocsinhq/tocsin/internal/outbox"
	"github.com/tocsinhq/tocsin/internal/postmortem"
	"github.com/tocsinhq/tocsin/internal/runtime"
	"github.com/tocsinhq/tocsin/internal/sdnotify"
	"github.com/tocsinhq/tocsin/internal/statuspage"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/ui"
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
	status     *statuspage.Service // public status pages
	dispatcher *outbox.Dispatcher
	watchdog   *watchdog.Watchdog
	senders    notify.Senders
	client     *http.Client
	elector    *leader.Elector
	listener   net.Listener
	server     *http.Server
	bus        *job.Bus           // what writers did, to the jobs it concerns
	runner     *job.Runner        // runs every job below
	jobs       []job.Job          // Tocsin's timed work (jobs.go)
	health     health             // the write probes (health.go)
	notifier   *sdnotify.Notifier // systemd's notify socket; nil if none
	setupURL   string             // the one-time link that makes the first admin login (setup.go); "": none needed

	// subscribers are those of the status pages (subscribers.go).
	subscribers *statuspage.Subscribers
}

// Leader election: a replica that dies costs at most leaseTTL+leaseEvery
// of engine time before another takes over.
const (
	leaseTTL   = 8 * time.Second
	leaseEvery = 2 * time.Second
)

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
	a := &App{opts: opts, log: opts.Log, clock: opts.Clock, client: httpClient(opts.HTTPClient), bus: &job.Bus{}}
	var err error
	if a.notifier, err = sdnotify.FromEnv(os.Getenv, os.Getpid(), opts.Clock); err != nil {
		return nil, err
	}
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
	a.engine = engine.New(db, a.clock, a.env, a.log.With("component", "engine"))
	a.engine.Bus = a.bus
	a.dispatcher = outbox.New(db, a.clock, a.log.With("component", "outbox"), a.senders, a.channel, func() outbox.Config { return a.state.Load().Outbox() },
		self)
	a.recorder = heartbeat.NewRecorder(db, a.clock, a.env, heartbeat.Hooks{
		Deadline:  a.engine.Schedule,
		Committed: a.pingsCommitted,
	}, a.log.With("component", "pings"), a.watchdog.Register("pings"))
	a.alerts = alerting.New(db, a.clock, a.env, func() *alerting.Policy { return a.state.Load().Policy },
		a.log.With("component", "alerts"), a.watchdog.Register("alerts"))
	a.alerts.Bus = a.bus
	a.escalation = escalation.NewStage(db, func() (incident.Env, *escalation.Directory) {
		st := a.state.Load()
		return st.Env, st.Directory()
	}, a.bus)
	// SQLite's lock file already makes this process the only one: it
	// takes the lease at once, whoever held it last, and keeps leading
	// while the store is locked.
	a.elector = &leader.Elector{DB: db, Clock: a.clock, Log: a.log.With("component", "leader"), Holder: self,
		TTL: leaseTTL, Every: leaseEvery, Force: !db.Shared(), Beat: a.watchdog.Register("leader")}
	a.probes = engine.NewProbeRunner(db, a.clock, a.env, func() engine.GuardConfig { return a.state.Load().ProbeGuard() }, a.log.With("component", "probes"))
	a.probes.Bus = a.bus
	a.probes.Deadline = a.engine.Schedule // a flapping probe's stable period ends on the engine's clock
	a.status = &statuspage.Service{DB: db, Clock: a.clock, Configs: configs{a}, Log: a.log.With("component", "status_pages"),
		SilencesChanged: a.silencesChanged, Env: a.env, Bus: a.bus}
	a.countInMetrics()
	a.bus.Subscribe(job.Queued, a.dispatcher)
	a.bus.Subscribe(job.Paging|job.Silences, a.alerts.Wake()) // first pages after group_wait, silences ending
	a.bus.Subscribe(job.Paging, a.escalation.Wake())          // escalation steps
	if _, err := a.apply(ctx, cfg, applyRequest{why: "startup", actor: "startup", force: opts.ForceConfig}); err != nil {
		db.Close()
		return nil, err
	}
	// Read once: a change of these takes a restart. The deadlines and
	// probes are loaded by each term of leadership (see lead).
	a.probes.Concurrency, a.probes.Retention = cfg.Probes.Concurrency, cfg.Probes.Retention.D()
	a.runner = &job.Runner{Clock: a.clock, Log: a.log.With("component", "jobs"), Watchdog: a.watchdog, Metrics: a.metrics}
	a.jobs = a.newJobs(db.Shared())
	a.runner.Register(a.jobs) // the leader jobs stand by until this replica leads
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	a.listener = ln
	if a.setupURL, err = a.offerSetup(ctx); err != nil {
		ln.Close()
		db.Close()
		return nil, fmt.Errorf("setup link: %w", err)
	}
	a.statusSubscribers() // before the routes: the status pages serve theirs
	checks := &checkadmin.Manager{DB: db, Clock: a.clock, Running: a.state.Load, Scheduled: a.engine.Schedule}
	pings := &ping.Handler{Recorder: a.recorder, Settings: func() ping.Settings { return a.state.Load().Ping() }, Exists: db.PingTargetExists,
		Log: a.log.With("component", "ping"), Timeout: 30 * time.Second, Provision: checks.Provision}
	srv := &web.Server{DB: db, Clock: a.clock, Log: a.log.With("component", "http"), Metrics: a.metrics,
		Ping:      pings,
		Snapshots: &a.state, Alerts: a.alerts, Actions: actions{a}, Replica: self, StatusPages: a.status,
		Postmortems: postmortem.Writer{DB: db},
		Checks:      checks}
	srv.Healthchecks = &hcapi.API{DB: db, Clock: a.clock, Checks: checks, Running: a.state.Load,
		Authenticate: srv.TokenPrincipal, AuditContext: srv.AuditContext, SetPaused: actions{a}.SetPaused}
	pages, err := ui.New(srv)
	if err != nil {
		ln.Close()
		db.Close()
		return nil, err
	}
	srv.Pages = pages
	a.server = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	a.server.RegisterOnShutdown(pages.EndLiveUpdates) // the incident pages' live streams never end by themselves
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
	for _, run := range []func(context.Context){a.recorder.Run, a.alerts.Run, a.watchdog.Run, a.elect,
		func(ctx context.Context) { a.runner.Start(ctx, a.jobs, false)() }} {
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
	if a.setupURL != "" {
		a.log.Warn("no admin can log in: open this one-time link to create an admin login", "url", a.setupURL,
			"valid_for", web.SetupTTL.String())
	}
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

func (a *App) env() incident.Env {
	env := a.state.Load().Env
	env.Muted = a.status.CheckMuted // status pages' maintenance windows
	return env
}

// configs gives the running config to the parts that read it at each use.
type configs struct{ a *App }

func (c configs) Config() *config.Config { return c.a.state.Load().Config }
