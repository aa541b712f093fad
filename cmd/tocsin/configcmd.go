package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/web"
)

// Exit statuses of the config commands.
const (
	exitOK      = 0 // valid; or reloaded
	exitFailed  = 1 // could not compare or reach the server
	exitInvalid = 2 // the file does not load, or bad usage
	exitGuard   = 3 // the reload guard refuses it
)

// serverTimeout bounds each call to a running server.
const serverTimeout = 30 * time.Second

func configCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "usage: tocsin config check FILE [--against URL | --database DSN]\n       tocsin config reload [--force] [--server URL]\n")
		return exitInvalid
	}
	switch args[0] {
	case "check":
		return configCheck(args[1:], stdout, stderr)
	case "reload":
		return configReload(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "tocsin config: unknown command %q (check or reload)\n", args[0])
	return exitInvalid
}

// parseInterspersed parses flags that may come before or after the
// positional arguments, and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// configCheck validates a config file and, with --against or --database,
// says what applying it would do and whether the reload guard refuses it.
// Exit status: 0 valid (warnings allowed), 2 invalid, 3 refused by the
// reload guard, 1 the comparison could not be made.
func configCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("config check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	against := fs.String("against", "", "compare with the config of the server running at this URL (token in TOCSIN_API_TOKEN or TOCSIN_ADMIN_TOKEN)")
	database := fs.String("database", "", "compare with the config last applied to this database")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitInvalid
	}
	if len(pos) != 1 || (*against != "" && *database != "") {
		fmt.Fprint(stderr, "usage: tocsin config check FILE [--against URL | --database DSN]\n")
		return exitInvalid
	}
	path := pos[0]
	cfg, err := config.Load(path)
	if err != nil {
		var list config.ErrorList
		if errors.As(err, &list) {
			fmt.Fprintln(stderr, err)
		} else {
			fmt.Fprintf(stderr, "tocsin: %v\n", err)
		}
		return exitInvalid
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	// Alone, the file is compared with nothing: only an empty file is
	// refused.
	prev, where, pingBase := config.Previous{Present: true}, "", cfg.PublicURL
	switch {
	case *against != "":
		rc, err := fetchRunningConfig(*against)
		if err != nil {
			fmt.Fprintf(stderr, "tocsin: compare with %s: %v\n", *against, err)
			return exitFailed
		}
		prev = config.Previous{Present: true, Checks: rc.Checks, ChannelsKnown: true, Channels: rc.Channels, Operator: rc.Operator}
		where, pingBase = "the server at "+*against, rc.PublicURL
	case *database != "":
		if prev, err = databasePrevious(*database); err != nil {
			fmt.Fprintf(stderr, "tocsin: compare with %s: %v\n", *database, err)
			return exitFailed
		}
		where = "the database " + *database
	}
	diff := config.Compare(prev, cfg, pingBase)
	for _, w := range diff.Renamed {
		fmt.Fprintln(stderr, "warning:", w)
	}
	findings := config.Guard(prev, cfg, diff)
	// A file the guard refuses is valid YAML, but not "ok" to apply.
	verdict := "ok"
	if len(findings) > 0 {
		verdict = "valid, but refused by the reload guard"
	}
	fmt.Fprintf(stdout, "%s: %s (%d checks, %d channels, %d API tokens)\n", path, verdict, len(cfg.Checks), len(cfg.Channels),
		len(cfg.APITokens))
	if where != "" {
		fmt.Fprintf(stdout, "compared with %s: %d created%s, %d changed%s, %d removed%s\n", where,
			len(diff.Created), listed(diff.Created), len(diff.Changed), listed(diff.Changed), len(diff.Removed), listed(diff.Removed))
	}
	if len(findings) == 0 {
		return exitOK
	}
	for _, f := range findings {
		fmt.Fprintf(stderr, "reload guard (%s): %s\n", f.Rule, f.Message)
	}
	fmt.Fprintln(stderr, "a reload of this file would be refused unless forced (tocsin config reload --force)")
	return exitGuard
}

// listed is " (a, b)" for a non-empty list of names.
func listed(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return " (" + strings.Join(names, ", ") + ")"
}

// databasePrevious is what the database says the running config is: its
// config checks, and the channels of the config applied last.
func databasePrevious(dsn string) (config.Previous, error) {
	ctx, cancel := context.WithTimeout(context.Background(), serverTimeout)
	defer cancel()
	db, err := store.Open(ctx, dsn, store.Options{Clock: clock.Real{}})
	if err != nil {
		return config.Previous{}, err
	}
	defer db.Close()
	stored, err := db.ConfigChecks(ctx)
	if err != nil {
		return config.Previous{}, err
	}
	last, ok, err := db.LastAppliedConfig(ctx)
	if err != nil {
		return config.Previous{}, err
	}
	prev := config.Previous{Present: true}
	var rec struct {
		Channels     []string          `json:"channels"`
		Operator     []string          `json:"operator_notify"`
		Fingerprints map[string]string `json:"fingerprints"`
	}
	if ok && json.Unmarshal(last.Data, &rec) == nil && rec.Channels != nil {
		prev.ChannelsKnown, prev.Channels, prev.Operator = true, rec.Channels, rec.Operator
	}
	for _, c := range stored {
		prev.Checks = append(prev.Checks, config.PreviousCheck{Name: c.Name, UUID: c.UUID, Slug: c.Slug, Fingerprint: rec.Fingerprints[c.Name]})
	}
	return prev, nil
}

// serverURL and apiToken say which running server the config commands
// talk to, and as whom.
func serverURL(flagValue string) string {
	if flagValue != "" {
		return strings.TrimSuffix(flagValue, "/")
	}
	return strings.TrimSuffix(envOr("TOCSIN_SERVER", "http://127.0.0.1:8080"), "/")
}

func apiToken() string { return envOr("TOCSIN_API_TOKEN", os.Getenv("TOCSIN_ADMIN_TOKEN")) }

// callServer sends one API request to a running server, with body as
// JSON (none when nil), and decodes its JSON answer into out; it returns
// the HTTP status.
func callServer(method, url string, body, out any) (int, error) {
	token := apiToken()
	if token == "" {
		return 0, errors.New("no API token: set TOCSIN_API_TOKEN (or TOCSIN_ADMIN_TOKEN)")
	}
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), serverTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return resp.StatusCode, fmt.Errorf("HTTP %d, not JSON: %.200s", resp.StatusCode, raw)
	}
	return resp.StatusCode, nil
}

func fetchRunningConfig(base string) (web.RunningConfig, error) {
	var answer struct {
		web.RunningConfig
		Error string `json:"error"`
	}
	status, err := callServer(http.MethodGet, serverURL(base)+"/api/v1/config", nil, &answer)
	if err != nil {
		return answer.RunningConfig, err
	}
	if status != http.StatusOK {
		return answer.RunningConfig, fmt.Errorf("HTTP %d: %s", status, answer.Error)
	}
	return answer.RunningConfig, nil
}

// configReload asks the running server to read its config file again.
// Exit status: 0 reloaded, 3 refused by the reload guard, 2 the file does
// not load, 1 the server could not be asked.
func configReload(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("config reload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	force := fs.Bool("force", false, "apply the config even if the reload guard refuses it")
	server := fs.String("server", "", "URL of the running server (default $TOCSIN_SERVER, else http://127.0.0.1:8080)")
	if err := fs.Parse(args); err != nil {
		return exitInvalid
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tocsin config reload: unexpected argument %q\n", fs.Arg(0))
		return exitInvalid
	}
	url := serverURL(*server) + "/api/v1/config/reload"
	if *force {
		url += "?force=true"
	}
	var res struct {
		web.ReloadResult
		Error string `json:"error"`
	}
	status, err := callServer(http.MethodPost, url, nil, &res)
	if err != nil {
		fmt.Fprintf(stderr, "tocsin: reload: %v\n", err)
		return exitFailed
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	switch status {
	case http.StatusOK:
		fmt.Fprintf(stdout, "reloaded: %s\n", res.Summary)
		if len(res.Removed) > 0 {
			fmt.Fprintf(stdout, "removed, no longer monitored: %s\n", strings.Join(res.Removed, ", "))
		}
		if res.Forced {
			fmt.Fprintf(stdout, "applied by force; the reload guard objected: %s\n", config.FindingsText(res.Findings))
		}
		return exitOK
	case http.StatusConflict:
		fmt.Fprintf(stderr, "refused: %s\n", res.Error)
		return exitGuard
	case http.StatusBadRequest:
		fmt.Fprintf(stderr, "rejected: %s\n", res.Error)
		return exitInvalid
	}
	fmt.Fprintf(stderr, "tocsin: reload: HTTP %d: %s\n", status, res.Error)
	return exitFailed
}
