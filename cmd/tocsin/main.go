// Command tocsin is the Tocsin server and its admin commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // schedules carry IANA zones; a bare container has no zoneinfo

	"github.com/tocsinhq/tocsin/internal/app"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/web"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `Tocsin: heartbeat monitoring, incidents and paging in one binary.

Usage:
  tocsin serve [--config FILE] [--listen ADDR] [--database DSN] [--force-config]
  tocsin config check FILE [--against URL | --database DSN]
  tocsin config reload [--force] [--server URL]
  tocsin token create --name NAME --role viewer|responder|admin [--expires 720h] [--server URL]
  tocsin token list [--server URL]
  tocsin token revoke ID [--server URL]
  tocsin cron next|prev EXPR [--tz ZONE] [--after|--before RFC3339] [-n N]
  tocsin backup [--database DSN] DEST
  tocsin import healthchecks FILE [--notify CHANNEL,...] [--server URL]   checks listed by Healthchecks' API, UUIDs kept
  tocsin user set-password NAME [--server URL]   password from the terminal, or a line of stdin
  tocsin user invite NAME [--server URL]         print a one-time link to choose a password
  tocsin receive [--listen ADDR] [--secret S] [--tolerance 5m]   print webhooks (for trying Tocsin out)
  tocsin version                                 version, commit and Go version of this binary

Environment: TOCSIN_CONFIG, TOCSIN_LISTEN, TOCSIN_DATABASE, TOCSIN_FORCE_CONFIG
mirror the flags of serve; TOCSIN_ADMIN_TOKEN adds an API token named "admin".
config reload, config check --against, import, the token and the user commands use
TOCSIN_SERVER (default http://127.0.0.1:8080) and the token in TOCSIN_API_TOKEN
(else TOCSIN_ADMIN_TOKEN).

Exit status: 0 ok, 1 failure, 2 bad usage or invalid config, 3 a config the
reload guard refuses (empty, or removing every check, every channel, the
operator route or too many checks).
`

func main() {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}

// Main runs the command line and returns the exit status: 0 success, 1
// failure, 2 bad usage or invalid input, 3 (config check and reload) a
// config the reload guard refuses.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "config":
		return configCommand(args[1:], stdout, stderr)
	case "token":
		return tokenCommand(args[1:], stdout, stderr)
	case "backup":
		return backup(args[1:], stdout, stderr)
	case "import":
		return importCommand(args[1:], os.Stdin, stdout, stderr)
	case "cron":
		return cronCommand(args[1:], clock.Real{}, stdout, stderr)
	case "receive":
		return receive(args[1:], stdout, stderr)
	case "user":
		return userCommand(args[1:], os.Stdin, stdout, stderr)
	case "version", "--version":
		return printVersion(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "tocsin: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// DefaultDatabase is the embedded SQLite store used when none is given.
const DefaultDatabase = "./tocsin-data/tocsin.db"

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", envOr("TOCSIN_CONFIG", ""), "config file (YAML)")
	listen := fs.String("listen", envOr("TOCSIN_LISTEN", "127.0.0.1:8080"), "address to serve HTTP on")
	database := fs.String("database", envOr("TOCSIN_DATABASE", DefaultDatabase), "database: a SQLite file path, or postgres://user:password@host/db for replicas")
	logFormat := fs.String("log-format", envOr("TOCSIN_LOG_FORMAT", "text"), "log format: text or json")
	forceConfig := fs.Bool("force-config", os.Getenv("TOCSIN_FORCE_CONFIG") == "1" || os.Getenv("TOCSIN_FORCE_CONFIG") == "true",
		"apply the config even if the reload guard refuses it (it would remove every check or channel, or too many checks)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tocsin serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if *logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	a, err := app.New(ctx, app.Options{ConfigPath: *configPath, Listen: *listen, Database: *database,
		AdminToken: os.Getenv("TOCSIN_ADMIN_TOKEN"), Version: version, Clock: clock.Real{}, Log: log, ForceConfig: *forceConfig})
	if err != nil {
		fmt.Fprintf(stderr, "tocsin: %v\n", err)
		return 1
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			// Errors are logged by Reload; the running config stays.
			a.Reload(ctx, web.ReloadRequest{Actor: "signal"})
		}
	}()
	if err := a.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "tocsin: %v\n", err)
		return 1
	}
	return 0
}

func backup(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	database := fs.String("database", envOr("TOCSIN_DATABASE", DefaultDatabase), "database to back up")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, "usage: tocsin backup [--database DSN] DEST\n")
		return 2
	}
	// Backup opens the database read-only and never creates or migrates it:
	// a mistyped path, or the relative default read from another
	// directory, fails here instead of backing up a new, empty database.
	stats, err := store.BackupFile(context.Background(), *database, fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "tocsin: %v\n", err)
		if *database == DefaultDatabase && !errors.Is(err, store.ErrPostgresBackup) {
			fmt.Fprintf(stderr, "tocsin: the default database %s is relative to the current directory; give --database\n", DefaultDatabase)
		}
		return 1
	}
	fmt.Fprintf(stdout, "copied %d checks, %d incidents, %d pings to %s\n", stats.Checks, stats.Incidents, stats.Pings, fs.Arg(0))
	return 0
}
