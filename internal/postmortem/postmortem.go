// Package postmortem writes the draft of an incident's postmortem from
// what Tocsin itself recorded: the incident's fields, its timeline with
// its key moments, and the pages of the outbox. The draft is GitHub-
// flavoured Markdown and a pure function of those facts (sorted, stable),
// so the same incident always gives the same draft; docs/postmortems.md
// defines each figure.
package postmortem

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/report"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Facts are what a draft is written from.
type Facts struct {
	Incident *tocsin.Incident       // with its timeline (a merged duplicate's entries moved into it)
	Pages    []*tocsin.Notification // the incident.triggered outbox rows of the incident
	Checks   map[int64]string       // check id -> name
	Users    map[string]report.User // zone and contacts of each configured user
	Bots     map[string]bool        // configured users with bot: true
	Zone     *time.Location         // the reader's zone, shown beside UTC; nil: UTC only
	// ActionItems are the incident's action items, in the order they were
	// added; the Action items section lists them.
	ActionItems []store.ActionItem
}

// Sections are the headings a person writes under, each with the prompt
// the draft puts beneath it.
var Sections = []struct{ Title, Prompt string }{
	{"Overview", "What happened, in two or three sentences."},
	{"Impact", "Who and what was affected, how badly, for how long."},
	{"Root cause", "Why it happened; keep asking why."},
	{"Trigger", "What set it off at that moment."},
	{"Resolution", "What stopped the impact and what restored service."},
	{"What went well", "What helped: alerts, tools, people, runbooks."},
	{"What went badly", "What slowed detection, response or recovery."},
	{"Where we got lucky", "What could have made it worse and did not."},
	{"Action items", "What to change so that it does not happen again, each with an owner."},
}

// Figures are the measures of the header table; a zero time or a
// negative duration means "not known".
type Figures struct {
	ImpactStart, ImpactEnd time.Time
	FirstPage              time.Time
	Duration               time.Duration
	TimeToDetect           time.Duration
	TimeToAcknowledge      time.Duration
	TimeToMitigate         time.Duration
	TimeToResolve          time.Duration
}

// keyAt is when the entry marked as key moment kind happened (zero: none).
func keyAt(in *tocsin.Incident, kind string) time.Time {
	for _, e := range in.Timeline {
		if e.KeyMoment == kind {
			return e.At
		}
	}
	return time.Time{}
}

// since is b - a, or -1 when either is not known.
func since(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() {
		return -1
	}
	return b.Sub(a)
}

// Measure computes the figures of the header table as docs/postmortems.md
// defines them.
func Measure(f Facts) Figures {
	in := f.Incident
	var g Figures
	g.ImpactStart = keyAt(in, tocsin.KeyDetection)
	if g.ImpactStart.IsZero() {
		g.ImpactStart = in.OpenedAt
	}
	g.ImpactEnd = keyAt(in, tocsin.KeyResolution)
	if g.ImpactEnd.IsZero() {
		g.ImpactEnd = in.ResolvedAt
	}
	for _, n := range f.Pages {
		if g.FirstPage.IsZero() || n.CreatedAt.Before(g.FirstPage) {
			g.FirstPage = n.CreatedAt
		}
	}
	g.Duration = since(g.ImpactStart, g.ImpactEnd)
	g.TimeToDetect = since(g.ImpactStart, g.FirstPage)
	g.TimeToAcknowledge = since(g.ImpactStart, in.AckedAt)
	g.TimeToMitigate = since(g.ImpactStart, keyAt(in, tocsin.KeyMitigation))
	g.TimeToResolve = since(g.ImpactStart, in.ResolvedAt)
	return g
}

// quietKinds are the timeline entries the draft's timeline leaves out:
// deliveries (the pages table shows them) and the marking of key moments
// (the marked entries show it).
var quietKinds = map[string]bool{
	tocsin.TimelineNotifyQueued: true, tocsin.TimelineNotifySent: true, tocsin.TimelinePing: true,
	tocsin.TimelineKeyMoment: true, tocsin.TimelineActionItem: true, // the Action items section lists the items as they stand
}

// Draft writes the draft of f's incident's postmortem.
func Draft(f Facts) string {
	in := f.Incident
	g := Measure(f)
	var b strings.Builder
	fmt.Fprintf(&b, "# Postmortem: #%d %s\n\n", in.ID, cell(in.Title))
	b.WriteString("| | |\n|---|---|\n")
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, v) }
	row("Impact start", stamp(g.ImpactStart))
	if g.ImpactEnd.IsZero() {
		row("Impact end", "ongoing")
	} else {
		row("Impact end", stamp(g.ImpactEnd))
	}
	row("Duration", span(g.Duration))
	row("Time to detect", span(g.TimeToDetect))
	row("Time to acknowledge", span(g.TimeToAcknowledge))
	row("Time to mitigate", span(g.TimeToMitigate))
	row("Time to resolve", span(g.TimeToResolve))
	row("Priority", or(in.Priority, "none"))
	row("Services", or(cell(strings.Join(services(in), ", ")), "none"))
	row("Responders", or(cell(strings.Join(responders(in, f), ", ")), "none"))

	writeTimeline(&b, f)
	writePages(&b, f)
	writeSignals(&b, f)
	for _, s := range Sections {
		fmt.Fprintf(&b, "\n## %s\n\n_%s_\n", s.Title, s.Prompt)
	}
	writeActionItems(&b, f)
	return b.String()
}

// writeActionItems lists the incident's action items under the last
// section, Action items; none: the prompt alone.
func writeActionItems(b *strings.Builder, f Facts) {
	if len(f.ActionItems) == 0 {
		return
	}
	b.WriteString("\n| Item | Owner | Due | Status | Link |\n|---|---|---|---|---|\n")
	for _, a := range f.ActionItems {
		fmt.Fprintf(b, "| #%d %s | %s | %s | %s | %s |\n", a.ID, cell(a.Title), cell(a.Owner), or(a.Due, "—"),
			strings.ReplaceAll(a.Status, "_", " "), linkCell(a.Link))
	}
}

// destEscaper keeps an http(s) URL whole as a Markdown link destination
// in a table cell: nothing in it ends the destination, the cell or the
// link, nor starts a code span or an entity.
var destEscaper = strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "|", "%7C", "<", "%3C", ">", "%3E",
	"`", "%60", "\\", "%5C", "&", "&amp;", "[", "%5B", "]", "%5D")

// linkCell is a link as a table cell: a Markdown link named after its
// host, or "—" for none.
func linkCell(link string) string {
	u, err := url.Parse(link)
	if link == "" || err != nil || u.Host == "" {
		return "—"
	}
	return "[" + cell(u.Host) + "](" + destEscaper.Replace(link) + ")"
}

func writeTimeline(b *strings.Builder, f Facts) {
	zone := f.Zone
	if zone == nil {
		zone = time.UTC
	}
	entries := make([]tocsin.TimelineEntry, 0, len(f.Incident.Timeline))
	for _, e := range f.Incident.Timeline {
		if !quietKinds[e.Kind] {
			entries = append(entries, e)
		}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		if !entries[i].At.Equal(entries[j].At) {
			return entries[i].At.Before(entries[j].At)
		}
		return entries[i].ID < entries[j].ID
	})
	fmt.Fprintf(b, "\n## Timeline\n\n| Time (UTC) | Time (%s) | Key moment | Event | By |\n|---|---|---|---|---|\n", zone)
	for _, e := range entries {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", stamp(e.At), e.At.In(zone).Format("2006-01-02 15:04:05 MST"),
			keyName(e.KeyMoment), cell(e.Message), cell(e.Actor))
	}
}

// keyName is how the draft names a key moment.
func keyName(k string) string {
	switch k {
	case "":
		return ""
	case tocsin.KeyCauseIdentified:
		return "**cause identified**"
	}
	return "**" + k + "**"
}

// page is one row of the pages table.
type page struct {
	at    time.Time
	who   string
	how   string
	level int
	bot   bool
}

func writePages(b *strings.Builder, f Facts) {
	in := f.Incident
	rows := &store.ReportRows{Incidents: []*tocsin.Incident{in}, Pages: f.Pages, Checks: f.Checks}
	for _, e := range in.Timeline {
		if e.Kind == tocsin.TimelineEscalation {
			rows.Timeline = append(rows.Timeline, e)
		}
	}
	var from, to time.Time
	for _, n := range f.Pages {
		if from.IsZero() || n.CreatedAt.Before(from) {
			from = n.CreatedAt
		}
		if n.CreatedAt.After(to) {
			to = n.CreatedAt
		}
	}
	var pages []page
	for _, p := range report.People(rows, report.Options{From: from, To: to.Add(time.Millisecond), Users: f.Users}) {
		for _, pg := range p.PageList {
			pages = append(pages, page{at: pg.At, who: p.User, how: strings.Join(pg.Contacts, ", "), level: pg.Level, bot: f.Bots[p.User]})
		}
	}
	for _, n := range f.Pages {
		if !strings.HasPrefix(n.Channel, "contact:") {
			pages = append(pages, page{at: n.CreatedAt.UTC(), who: "channel " + n.Channel, how: n.Channel})
		}
	}
	sort.SliceStable(pages, func(i, j int) bool {
		if !pages[i].at.Equal(pages[j].at) {
			return pages[i].at.Before(pages[j].at)
		}
		return pages[i].who < pages[j].who
	})
	b.WriteString("\n## Pages\n\n")
	if len(pages) == 0 {
		b.WriteString("Nobody was paged.\n")
	} else {
		b.WriteString("| Paged at (UTC) | Who | How | Level | Acknowledged after |\n|---|---|---|---|---|\n")
		for _, p := range pages {
			who := p.who
			if p.bot {
				who += " (**bot**)"
			}
			level := ""
			if p.level > 0 {
				level = fmt.Sprint(p.level)
			}
			acked := "not acknowledged"
			if !in.AckedAt.IsZero() && !in.AckedAt.Before(p.at) {
				acked = span(in.AckedAt.Sub(p.at))
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", stamp(p.at), cell(who), cell(p.how), level, acked)
		}
	}
	var bots []string
	seen := map[string]bool{}
	for _, p := range pages {
		if p.bot && !seen[p.who] {
			seen[p.who] = true
			bots = append(bots, p.who)
		}
	}
	for _, who := range bots {
		fmt.Fprintf(b, "\n> **Paged a bot:** %s is a bot, not a person who can respond.\n", cell(who))
	}
	for _, e := range f.Incident.Timeline {
		if e.Kind == tocsin.TimelineNobodyReachable {
			fmt.Fprintf(b, "\n> **Nobody reachable** at %s: %s\n", stamp(e.At), cell(e.Message))
		}
	}
}

// signal is an alert or check involved, with its first and last signal.
type signal struct {
	name, kind  string
	first, last time.Time
	events      int
}

func writeSignals(b *strings.Builder, f Facts) {
	in := f.Incident
	by := map[string]*signal{}
	add := func(name, kind string, at time.Time) {
		k := kind + "\x00" + name
		s := by[k]
		if s == nil {
			s = &signal{name: name, kind: kind, first: at, last: at}
			by[k] = s
		}
		if at.Before(s.first) {
			s.first = at
		}
		if at.After(s.last) {
			s.last = at
		}
		s.events++
	}
	for _, e := range in.Timeline {
		switch e.Kind {
		case tocsin.TimelineOpened, tocsin.TimelineAlertFiring, tocsin.TimelineAlertResolved:
			for _, name := range alertNames(e.Data) {
				add(name, "alert", e.At)
			}
		case tocsin.TimelineStateChange, tocsin.TimelineFlapping:
			if in.CheckID != 0 {
				add(or(f.Checks[in.CheckID], fmt.Sprintf("check %d", in.CheckID)), "check", e.At)
			}
		}
	}
	list := make([]*signal, 0, len(by))
	for _, s := range by {
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].kind != list[j].kind {
			return list[i].kind < list[j].kind
		}
		return list[i].name < list[j].name
	})
	b.WriteString("\n## Alerts and checks\n\n")
	if len(list) == 0 {
		b.WriteString("No alert or check signal was recorded.\n")
		return
	}
	b.WriteString("| Signal | Kind | First (UTC) | Last (UTC) | Events |\n|---|---|---|---|---|\n")
	for _, s := range list {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %d |\n", cell(s.name), s.kind, stamp(s.first), stamp(s.last), s.events)
	}
}

// alertNames reads the names of the alerts an alert.firing,
// alert.resolved or incident.opened entry names: its alertname label,
// else its key.
func alertNames(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	type ref struct {
		ID     int64             `json:"alert_id"`
		Key    string            `json:"key"`
		Labels map[string]string `json:"labels"`
	}
	var v struct {
		ref
		Alerts []ref `json:"alerts"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	// The entry that opens an incident names its alert before the alert
	// is stored (alert_id 0): the alert is known by its name and key.
	refs := v.Alerts
	if len(refs) == 0 {
		refs = []ref{v.ref}
	}
	var out []string
	for _, r := range refs {
		if name := or(r.Labels["alertname"], r.Key); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// services are the incident's own service and those affected besides.
func services(in *tocsin.Incident) []string {
	var out []string
	if in.Service != "" {
		out = append(out, in.Service)
	}
	for _, s := range in.Services {
		if s != in.Service {
			out = append(out, s)
		}
	}
	return out
}

// responders are the roles, then whoever acknowledged or resolved, each
// person once.
func responders(in *tocsin.Incident, f Facts) []string {
	var out []string
	seen := map[string]bool{}
	roles := append([]tocsin.IncidentRole(nil), in.Roles...)
	sort.SliceStable(roles, func(i, j int) bool { return roles[i].Role < roles[j].Role })
	for _, r := range roles {
		out = append(out, r.User+" ("+r.Role+")")
		seen[r.User] = true
	}
	for _, p := range []struct{ who, what string }{{in.AckedBy, "acknowledged"}, {in.ResolvedBy, "resolved"}} {
		// An acknowledgement by a page's link is the person's own.
		p.who = strings.TrimPrefix(p.who, "link:")
		if p.who == "" || seen[p.who] {
			continue
		}
		seen[p.who] = true
		who := p.who + " (" + p.what + ")"
		if f.Bots[p.who] {
			who = p.who + " (bot, " + p.what + ")"
		}
		out = append(out, who)
	}
	return out
}

// stamp is a time in UTC, to the second.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// span is a duration to the second; negative: not known.
func span(d time.Duration) string {
	if d < 0 {
		return "—"
	}
	return d.Round(time.Second).String()
}

// cellEscaper keeps recorded text as text in a table cell: a pipe would
// end the cell, and < > & would be read as HTML (which the renderer
// leaves out).
var cellEscaper = strings.NewReplacer("|", `\|`, "&", "&amp;", "<", "&lt;", ">", "&gt;")

// cell makes recorded text safe in a table cell: one line, escaped.
func cell(s string) string {
	return cellEscaper.Replace(strings.Join(strings.Fields(s), " "))
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// markdown is goldmark with GitHub-flavoured Markdown (tables,
// strikethrough, autolinks, task lists). It is built without
// html.WithUnsafe: raw HTML in a postmortem is escaped, never rendered.
var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// HTML renders a postmortem's Markdown as an HTML fragment.
func HTML(md string) (string, error) {
	var b bytes.Buffer
	if err := markdown.Convert([]byte(md), &b); err != nil {
		return "", fmt.Errorf("render postmortem: %w", err)
	}
	return b.String(), nil
}

// Load reads the facts of incident id from the store: the incident with
// its timeline, its pages, its action items and the name of its check. Users, Bots and
// Zone are the caller's to set.
func Load(ctx context.Context, db *store.DB, id int64) (Facts, error) {
	in, err := db.Incident(ctx, id)
	if err != nil {
		return Facts{}, err
	}
	all, err := db.Notifications(ctx, id)
	if err != nil {
		return Facts{}, err
	}
	f := Facts{Incident: in, Checks: map[int64]string{}}
	for _, n := range all {
		if n.Event == tocsin.EventTriggered {
			f.Pages = append(f.Pages, n)
		}
	}
	if f.ActionItems, err = db.IncidentActionItems(ctx, id); err != nil {
		return Facts{}, err
	}
	if in.CheckID != 0 {
		if c, err := db.CheckByID(ctx, in.CheckID); err == nil {
			f.Checks[c.ID] = c.Name
		}
	}
	return f, nil
}

// Writer writes and renders the postmortems of the incidents in DB, for
// the API (web.Postmortems).
type Writer struct{ DB *store.DB }

// Draft writes the draft of incident id's postmortem, the timeline's
// times also in zone, with the zones, contacts and bots of users.
func (w Writer) Draft(ctx context.Context, users []config.User, id int64, zone *time.Location) (string, error) {
	f, err := Load(ctx, w.DB, id)
	if err != nil {
		return "", err
	}
	f.Users, f.Bots, f.Zone = report.UsersOf(users), map[string]bool{}, zone
	for _, u := range users {
		if u.Bot {
			f.Bots[u.Name] = true
		}
	}
	return Draft(f), nil
}

// HTML renders a postmortem's Markdown; raw HTML is left out.
func (Writer) HTML(md string) (string, error) { return HTML(md) }
