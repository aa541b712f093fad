package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/labels"
	"github.com/tocsinhq/tocsin/internal/web"
)

// silenceOps are the operators a matcher row offers, with their words.
var silenceOps = []struct{ Op, Text string }{
	{"=", "= equals"},
	{"!=", "!= is not"},
	{"=~", "=~ matches regex"},
	{"!~", "!~ does not match regex"},
}

// silenceLength is a length of silence the form offers.
type silenceLength struct {
	Value, Text string
	D           time.Duration
}

// silenceLengths are the lengths the form offers, besides an explicit end.
var silenceLengths = []silenceLength{
	{"1h", "1 hour", time.Hour},
	{"4h", "4 hours", 4 * time.Hour},
	{"1d", "1 day", 24 * time.Hour},
	{"7d", "1 week", 7 * 24 * time.Hour},
}

// blankMatcherRows is how many empty matcher rows the form offers for
// matchers of one's own; "Add a matcher" gives one more.
const blankMatcherRows = 1

// matcherRow is one matcher of the form.
type matcherRow struct {
	N               int // its number on the form, from 1
	Name, Op, Value string
	Drop            bool
}

// silenceForm is the new silence form's data: as first shown, or as sent
// back with what was wrong.
type silenceForm struct {
	Alert    *alertRow // the alert it was opened from, if any
	Rows     []matcherRow
	Ops      any
	Lengths  any
	Starts   string // datetime-local, in the viewer's zone; empty: now
	For      string // a silenceLengths value, or "until"
	Ends     string // datetime-local, for "until"
	Comment  string
	ZoneName string
	Error    string
}

// newSilencePage is the form of a new silence; from an alert
// (?alert=id), its matchers are that alert's labels.
func (u *UI) newSilencePage(w http.ResponseWriter, r *http.Request) {
	f := &silenceForm{For: "1h"}
	if v := r.URL.Query().Get("alert"); v != "" {
		if err := u.fromAlert(r, f, v); err != nil {
			u.fail(w, r, err)
			return
		}
		for _, p := range f.Alert.Pairs {
			name, value, _ := strings.Cut(p, "=")
			unq, err := strconv.Unquote(value)
			if err != nil {
				unq = value
			}
			f.Rows = append(f.Rows, matcherRow{Name: name, Op: "=", Value: unq})
		}
	}
	for range blankMatcherRows {
		f.Rows = append(f.Rows, matcherRow{Op: "="})
	}
	u.showSilenceForm(w, r, http.StatusOK, f)
}

// fromAlert reads the alert of the ?alert= (or form's alert) id into f.
func (u *UI) fromAlert(r *http.Request, f *silenceForm, v string) error {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return tocsin.Errorf(tocsin.ENotFound, "no such alert: %q", v)
	}
	a, err := u.srv.DB.AlertByID(r.Context(), id)
	if err != nil {
		return err
	}
	f.Alert = &alertRow{AlertRecord: a, Name: alertName(a), Pairs: labelPairs(a.Labels)}
	return nil
}

func (u *UI) showSilenceForm(w http.ResponseWriter, r *http.Request, status int, f *silenceForm) {
	f.Ops, f.Lengths = silenceOps, silenceLengths
	for i := range f.Rows {
		f.Rows[i].N = i + 1
	}
	f.ZoneName = u.zoneOf(principalOf(r)).String()
	u.renderStatus(w, r, status, "silence_new", "New silence", "alerts", f)
}

// createSilence makes the silence of the form through the server's
// CreateSilence, the API's own call; bad input shows the form again with
// what was wrong, and makes nothing.
func (u *UI) createSilence(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		u.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "the form could not be read"))
		return
	}
	f := &silenceForm{Starts: strings.TrimSpace(r.PostForm.Get("starts")), For: r.PostForm.Get("for"),
		Ends: strings.TrimSpace(r.PostForm.Get("ends")), Comment: strings.TrimSpace(r.PostForm.Get("comment"))}
	if v := r.PostForm.Get("alert"); v != "" {
		if err := u.fromAlert(r, f, v); err != nil {
			u.fail(w, r, err)
			return
		}
	}
	names, ops, values := r.PostForm["name"], r.PostForm["op"], r.PostForm["value"]
	if len(ops) != len(names) || len(values) != len(names) {
		u.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "the matcher rows of the form are incomplete"))
		return
	}
	for i := range names {
		f.Rows = append(f.Rows, matcherRow{Name: strings.TrimSpace(names[i]), Op: ops[i], Value: values[i],
			Drop: slices.Contains(r.PostForm["drop"], strconv.Itoa(i))})
	}
	if r.PostForm.Get("more") != "" {
		f.Rows = append(f.Rows, matcherRow{Op: "="})
		u.showSilenceForm(w, r, http.StatusOK, f)
		return
	}
	ns, msg := u.readSilenceForm(r, f)
	if msg == "" {
		_, err := u.srv.CreateSilence(r, ns)
		if err == nil {
			done(w, r, "/alerts", "silenced")
			return
		}
		if tocsin.ErrorCode(err) != tocsin.EInvalid {
			u.fail(w, r, err)
			return
		}
		msg = silenceMessage(tocsin.ErrorMessage(err))
	}
	f.Error = msg
	u.showSilenceForm(w, r, http.StatusBadRequest, f)
}

// readSilenceForm turns the form into a silence to ask for, or says what
// is wrong with it. The domain call checks the rest (a matcher set that
// matches every alert, an end before the start).
func (u *UI) readSilenceForm(r *http.Request, f *silenceForm) (web.NewSilence, string) {
	var ns web.NewSilence
	for i, row := range f.Rows {
		if row.Drop || row.Name == "" && row.Value == "" {
			continue
		}
		if row.Name == "" {
			return ns, "Matcher " + strconv.Itoa(i+1) + ": the label name is empty."
		}
		m, err := labels.New(row.Name, labels.Op(row.Op), row.Value)
		if err != nil {
			return ns, "Matcher " + strconv.Itoa(i+1) + ": " + err.Error() + "."
		}
		ns.Matchers = append(ns.Matchers, m.String())
	}
	if len(ns.Matchers) == 0 {
		return ns, "Give at least one matcher: a silence says which alerts it silences."
	}
	zone := u.zoneOf(principalOf(r))
	start := u.srv.Clock.Now()
	if f.Starts != "" {
		t, ok := parseLocal(f.Starts, zone)
		if !ok {
			return ns, "Starts: " + strconv.Quote(f.Starts) + " is not a date and time (2026-12-24 18:00)."
		}
		ns.StartsAt, start = t, t
	}
	switch f.For {
	case "until":
		if f.Ends == "" {
			return ns, "Ends: give the date and time the silence ends, or choose a length."
		}
		t, ok := parseLocal(f.Ends, zone)
		if !ok {
			return ns, "Ends: " + strconv.Quote(f.Ends) + " is not a date and time (2026-12-24 18:00)."
		}
		ns.EndsAt = t
	default:
		i := slices.IndexFunc(silenceLengths, func(l silenceLength) bool { return l.Value == f.For })
		if i < 0 {
			return ns, "Ends: choose how long the silence lasts."
		}
		ns.EndsAt = start.Add(silenceLengths[i].D)
	}
	ns.Comment = f.Comment
	return ns, ""
}

// silenceMessage words the domain's refusal for the form, whose fields
// are not named as the API's.
func silenceMessage(msg string) string {
	msg = strings.NewReplacer("ends_at:", "Ends:", "starts_at", "the start", "matchers:", "Matchers:").Replace(msg)
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// parseLocal reads a datetime-local value (with or without seconds, a
// space or a T between date and time) in zone.
func parseLocal(v string, zone *time.Location) (time.Time, bool) {
	v = strings.Replace(v, " ", "T", 1)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, zone); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// expireSilence ends a silence now through the server's ExpireSilence,
// the API's own call.
func (u *UI) expireSilence(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		u.fail(w, r, tocsin.Errorf(tocsin.ENotFound, "no such silence: %q", r.PathValue("id")))
		return
	}
	if _, err := u.srv.ExpireSilence(r, id); err != nil {
		u.fail(w, r, err)
		return
	}
	done(w, r, "/alerts", "silence-expired")
}

// principalOf is the person (or token) the request acts as.
func principalOf(r *http.Request) auth.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}
