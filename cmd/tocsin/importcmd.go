package main

// tocsin import healthchecks FILE: the checks of a Healthchecks project,
// as its GET /api/v3/checks/ lists them, made again in a running Tocsin
// through POST /api/v1/checks/bulk (a thousand a request), with their
// UUIDs, so that the ping URLs keep working once the host name points at
// Tocsin.

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"
)

const importUsage = `usage: tocsin import healthchecks FILE [--notify CHANNEL,...] [--server URL]
FILE holds the JSON of Healthchecks' GET /api/v3/checks/ (- for stdin).
`

// hcCheck is a check as Healthchecks' API lists it.
type hcCheck struct {
	Name          string  `json:"name"`
	Slug          string  `json:"slug"`
	Tags          string  `json:"tags"`
	Desc          string  `json:"desc"`
	Grace         int64   `json:"grace"`
	Status        string  `json:"status"`
	ManualResume  bool    `json:"manual_resume"`
	Methods       string  `json:"methods"`
	Timeout       int64   `json:"timeout"`
	Schedule      string  `json:"schedule"`
	TZ            string  `json:"tz"`
	UUID          string  `json:"uuid"`
	PingURL       string  `json:"ping_url"`
	UniqueKey     string  `json:"unique_key"`
	Channels      *string `json:"channels"`
	Subject       string  `json:"subject"`
	SubjectFail   string  `json:"subject_fail"`
	StartKw       string  `json:"start_kw"`
	SuccessKw     string  `json:"success_kw"`
	FailureKw     string  `json:"failure_kw"`
	FilterSubject bool    `json:"filter_subject"`
	FilterBody    bool    `json:"filter_body"`
	// Newer releases of Healthchecks: the keywords classify HTTP pings,
	// and a ping matching none is a failure.
	FilterHTTPBody    bool `json:"filter_http_body"`
	FilterDefaultFail bool `json:"filter_default_fail"`
}

var uuidPattern = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// uuidOf is the check's UUID: its uuid field, else the end of its ping
// URL; "" when the listing has neither (a read-only key shows a
// unique_key instead, from which the UUID cannot be had).
func (c hcCheck) uuidOf() string {
	if uuidPattern.MatchString(c.UUID) {
		return strings.ToLower(c.UUID)
	}
	return strings.ToLower(uuidPattern.FindString(c.PingURL))
}

// mapped is the Tocsin check of c (as POST /api/v1/checks takes it) and
// what of c it cannot keep; nil when c cannot be imported at all.
func (c hcCheck) mapped(notify []string) (map[string]any, []string) {
	var lost []string
	d := map[string]any{"description": c.Desc, "tags": strings.Fields(c.Tags), "methods": c.Methods,
		"manual_resume": c.ManualResume}
	name := c.Name
	if name == "" {
		name = c.Slug
	}
	if id := c.uuidOf(); id != "" {
		d["uuid"] = id
		if name == "" {
			name = id
		}
	} else {
		lost = append(lost, "uuid: not in the listing (a read-only key's), so the check gets a new ping URL")
	}
	if name == "" {
		return nil, append(lost, "no name, slug or uuid to name it by")
	}
	d["name"] = name
	if c.Slug != "" {
		d["slug"] = c.Slug
	}
	switch {
	case c.Schedule != "" && len(strings.Fields(c.Schedule)) == 5 && !strings.Contains(c.Schedule, "\n"):
		tz := c.TZ
		if tz == "UTC" {
			tz = ""
		}
		d["schedule"] = map[string]string{"cron": c.Schedule, "tz": tz}
	case c.Schedule != "":
		return nil, append(lost, fmt.Sprintf("schedule %q: an OnCalendar expression, which Tocsin does not take", c.Schedule))
	case c.Timeout > 0:
		d["schedule"] = map[string]string{"every": seconds(c.Timeout)}
	default:
		return nil, append(lost, "neither timeout nor schedule")
	}
	if c.Grace > 0 {
		d["grace"] = seconds(c.Grace)
	}
	if notify != nil {
		d["notify"] = notify
	}
	if c.Channels != nil && *c.Channels != "" && notify == nil {
		lost = append(lost, "channels: Healthchecks' integrations are not Tocsin's channels; give --notify")
	}
	switch k := c.keywords(); {
	case c.FilterHTTPBody && k != nil:
		d["keywords"] = k
	case c.FilterHTTPBody:
		lost = append(lost, "filter_http_body: on without a keyword, which Tocsin's keyword filter needs")
	case c.SuccessKw != "" || c.FailureKw != "" || c.StartKw != "":
		lost = append(lost, fmt.Sprintf("keywords (success_kw %q, failure_kw %q, start_kw %q): Healthchecks applies them to email only"+
			" (filter_http_body is off), and Tocsin takes no email", c.SuccessKw, c.FailureKw, c.StartKw))
	}
	return d, lost
}

// keywords is c's keyword lists as Tocsin's API takes them (split at
// commas, as Healthchecks reads them); nil when they hold no keyword.
func (c hcCheck) keywords() map[string]any {
	failure, success, start := splitKeywords(c.FailureKw), splitKeywords(c.SuccessKw), splitKeywords(c.StartKw)
	if len(failure)+len(success)+len(start) == 0 {
		return nil
	}
	noMatch := "ignore"
	if c.FilterDefaultFail {
		noMatch = "fail"
	}
	return map[string]any{"failure": failure, "success": success, "start": start, "no_match": noMatch}
}

func splitKeywords(s string) []string {
	out := []string{}
	for _, kw := range strings.Split(s, ",") {
		if kw = strings.TrimSpace(kw); kw != "" {
			out = append(out, kw)
		}
	}
	return out
}

func seconds(n int64) string { return (time.Duration(n) * time.Second).String() }

// importBatch is how many checks one POST /api/v1/checks/bulk makes.
const importBatch = 1000

// importResult is what became of one check of the listing: made with
// uuid, what of it was not kept, or why it was skipped.
type importResult struct {
	uuid, skipped string
	lost          []string
}

func (c hcCheck) label() string {
	if c.Name != "" {
		return c.Name
	}
	return c.Slug + c.uuidOf()
}

// importBatchOf makes the checks of batch that map to Tocsin's in one
// POST /api/v1/checks/bulk. That request makes all or none: if it is
// refused (a check whose name or UUID Tocsin has), each is made alone
// through POST /api/v1/checks, so that one such check skips only itself.
// The error is the server's unreachable.
func importBatchOf(base string, batch []hcCheck, notify []string) ([]importResult, error) {
	results := make([]importResult, len(batch))
	var defs []map[string]any
	var at []int // index in batch of each of defs
	for i, c := range batch {
		d, lost := c.mapped(notify)
		if d == nil {
			results[i].skipped = strings.Join(lost, "; ")
			continue
		}
		results[i].lost = lost
		defs, at = append(defs, d), append(at, i)
	}
	if len(defs) == 0 {
		return results, nil
	}
	var bulk struct {
		Checks []struct {
			UUID string `json:"uuid"`
		} `json:"checks"`
	}
	status, err := callServer(http.MethodPost, base+"/api/v1/checks/bulk", map[string]any{"checks": defs}, &bulk)
	if err != nil {
		return nil, err
	}
	if status == http.StatusCreated && len(bulk.Checks) == len(defs) {
		for j, c := range bulk.Checks {
			results[at[j]].uuid = c.UUID
		}
		return results, nil
	}
	for j, d := range defs {
		var answer struct {
			UUID  string `json:"uuid"`
			Error string `json:"error"`
		}
		status, err := callServer(http.MethodPost, base+"/api/v1/checks", d, &answer)
		if err != nil {
			return nil, err
		}
		if status != http.StatusCreated {
			results[at[j]].skipped = fmt.Sprintf("HTTP %d: %s", status, answer.Error)
			continue
		}
		results[at[j]].uuid = answer.UUID
	}
	return results, nil
}

func importCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "healthchecks" {
		fmt.Fprint(stderr, importUsage)
		return exitInvalid
	}
	fs := flag.NewFlagSet("import healthchecks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	notifyFlag := fs.String("notify", "", "channels of the Tocsin config every imported check notifies, comma-separated")
	server := fs.String("server", "", "URL of the running server (default $TOCSIN_SERVER, else http://127.0.0.1:8080)")
	file, rest := "", args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") || len(rest) > 0 && rest[0] == "-" {
		file, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return exitInvalid
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 || file == "" {
		fmt.Fprint(stderr, importUsage)
		return exitInvalid
	}
	var raw []byte
	var err error
	if file == "-" {
		raw, err = io.ReadAll(stdin)
	} else {
		raw, err = os.ReadFile(file)
	}
	if err != nil {
		fmt.Fprintf(stderr, "tocsin: import: %v\n", err)
		return exitInvalid
	}
	var list struct {
		Checks []hcCheck `json:"checks"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		fmt.Fprintf(stderr, "tocsin: import: %s: not the JSON of Healthchecks' GET /api/v3/checks/: %v\n", file, err)
		return exitInvalid
	}
	var notify []string
	if *notifyFlag != "" {
		notify = strings.Split(*notifyFlag, ",")
	}
	base := serverURL(*server)
	created, failed := 0, 0
	for from := 0; from < len(list.Checks); from += importBatch {
		batch := list.Checks[from:min(from+importBatch, len(list.Checks))]
		results, err := importBatchOf(base, batch, notify)
		if err != nil {
			fmt.Fprintf(stderr, "tocsin: import: %v\n", err)
			return exitFailed
		}
		for i, c := range batch {
			label, res := c.label(), results[i]
			if res.skipped != "" {
				failed++
				fmt.Fprintf(stdout, "skipped %q: %s\n", label, res.skipped)
				continue
			}
			created++
			fmt.Fprintf(stdout, "created %q (%s)\n", label, res.uuid)
			if c.Status == "paused" {
				var answer struct{}
				if status, err := callServer(http.MethodPost, base+"/api/v1/checks/"+res.uuid+"/pause", nil, &answer); err != nil ||
					status != http.StatusOK {
					res.lost = append(res.lost, fmt.Sprintf("paused: not paused (HTTP %d %v)", status, err))
				}
			}
			for _, l := range res.lost {
				fmt.Fprintf(stdout, "  not kept: %s\n", l)
			}
		}
	}
	fmt.Fprintf(stdout, "%d created, %d skipped of %d\n", created, failed, len(list.Checks))
	if failed > 0 {
		return exitFailed
	}
	return exitOK
}
