package postmortem

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/report"
	"github.com/tocsinhq/tocsin/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// scripted is an incident as Tocsin records it: an alert fires at 02:00
// UTC, level 1 of the policy reaches only a bot (nobody reachable, the
// team's fallback channel is paged), level 2 pages cy at 02:05, cy
// acknowledges by the page's link, posts two status updates (manual
// entries, the second marked as mitigation), adds a backdated note of the
// deploy that caused it and resolves.
func scripted() Facts {
	at := func(h, m, s int) time.Time { return time.Date(2026, 1, 6, h, m, s, 0, time.UTC) }
	ny, _ := time.LoadLocation("America/New_York")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	alert := json.RawMessage(`{"alert_id":1,"key":"db-down","labels":{"alertname":"DatabaseDown","service":"payments"}}`)
	in := &tocsin.Incident{ID: 7, Title: "primary database down", Status: tocsin.IncidentResolved, OpenedAt: at(2, 0, 0),
		AckedAt: at(2, 7, 30), AckedBy: "link:cy", ResolvedAt: at(2, 40, 0), ResolvedBy: "cy", Service: "payments",
		Priority: "P1", Services: []string{"checkout"}, Roles: []tocsin.IncidentRole{{Role: "communications", User: "bo"}, {Role: "commander", User: "cy"}},
		Timeline: []tocsin.TimelineEntry{
			{ID: 1, At: at(2, 0, 0), Kind: tocsin.TimelineAlertFiring, Actor: "tocsin", Message: "alert firing: primary database down", Data: alert},
			{ID: 2, At: at(2, 0, 0), Kind: tocsin.TimelineOpened, Actor: "tocsin", Message: "Incident opened: primary database down", Data: alert},
			{ID: 3, At: at(2, 0, 0), Kind: tocsin.TimelineEscalation, Actor: "tocsin", Message: "Level 1, round 1 of policy default: paging opsbot (named in the policy) via webhook bot-hook",
				Data: json.RawMessage(`{"idempotency_key":"7-s0-opsbot-0","level":1,"round":1}`)},
			{ID: 4, At: at(2, 0, 0), Kind: tocsin.TimelineNotifyQueued, Actor: "tocsin", Message: "queued for contact:opsbot:0"},
			{ID: 5, At: at(2, 0, 0), Kind: tocsin.TimelineNobodyReachable, Actor: "tocsin", Message: "NOBODY REACHABLE: level 1 reaches only bots; paging the fallback of team core at once: core-pager"},
			{ID: 6, At: at(2, 5, 0), Kind: tocsin.TimelineEscalation, Actor: "tocsin", Message: "Level 2, round 1 of policy default: paging cy (named in the policy) via webhook cy-hook",
				Data: json.RawMessage(`{"idempotency_key":"7-s1-cy-0","level":2,"round":1}`)},
			{ID: 7, At: at(2, 7, 30), Kind: tocsin.TimelineAcknowledged, Actor: "link:cy", Message: "Acknowledged by link:cy"},
			{ID: 8, At: at(2, 10, 0), Kind: tocsin.TimelineManual, Actor: "cy", Message: "Status: investigating | payments failing"},
			{ID: 9, At: at(2, 25, 0), Kind: tocsin.TimelineManual, Actor: "cy", Message: "Status: deploy 42 rolled back, payments recovering", KeyMoment: tocsin.KeyMitigation},
			{ID: 10, At: at(1, 50, 0), Kind: tocsin.TimelineManual, Actor: "cy", Message: "Deploy 42 went out", KeyMoment: tocsin.KeyCauseIdentified},
			{ID: 11, At: at(2, 26, 0), Kind: tocsin.TimelineKeyMoment, Actor: "cy", Message: "Entry 9 marked as mitigation"},
			{ID: 12, At: at(2, 38, 0), Kind: tocsin.TimelineAlertResolved, Actor: "tocsin", Message: "alert resolved: primary database down", Data: alert},
			{ID: 13, At: at(2, 40, 0), Kind: tocsin.TimelineResolved, Actor: "cy", Message: "Resolved by cy"},
		}}
	return Facts{
		Incident: in,
		Pages: []*tocsin.Notification{
			{ID: 1, IdempotencyKey: "7-s0-opsbot-0", Channel: "contact:opsbot:0", Event: tocsin.EventTriggered, IncidentID: 7, CreatedAt: at(2, 0, 0)},
			{ID: 2, IdempotencyKey: "7-fallback-s1-core-pager", Channel: "core-pager", Event: tocsin.EventTriggered, IncidentID: 7, CreatedAt: at(2, 0, 0)},
			{ID: 3, IdempotencyKey: "7-s1-cy-0", Channel: "contact:cy:0", Event: tocsin.EventTriggered, IncidentID: 7, CreatedAt: at(2, 5, 0)},
		},
		Users: map[string]report.User{
			"opsbot": {Zone: time.UTC, Contacts: []string{"webhook bot-hook"}},
			"cy":     {Zone: ny, Contacts: []string{"webhook cy-hook"}},
			"bo":     {Zone: berlin, Contacts: []string{"webhook bo-hook"}},
		},
		Bots: map[string]bool{"opsbot": true},
		Zone: berlin,
	}
}

// TestDraftGolden: the scripted incident gives exactly the draft in
// testdata (go test ./internal/postmortem/ -update rewrites it).
func TestDraftGolden(t *testing.T) {
	got := Draft(scripted())
	golden(t, "scripted.md", got)
	if again := Draft(scripted()); again != got {
		t.Fatal("two drafts of the same facts differ")
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("draft differs from %s (-update rewrites it):\n%s", path, got)
	}
}

// TestMeasure: each figure of the header table from the timestamps
// docs/postmortems.md names.
func TestMeasure(t *testing.T) {
	f := scripted()
	g := Measure(f)
	if !g.ImpactStart.Equal(f.Incident.OpenedAt) || !g.ImpactEnd.Equal(f.Incident.ResolvedAt) || g.Duration != 40*time.Minute ||
		g.TimeToDetect != 0 || g.TimeToAcknowledge != 7*time.Minute+30*time.Second || g.TimeToMitigate != 25*time.Minute ||
		g.TimeToResolve != 40*time.Minute {
		t.Fatalf("figures %+v", g)
	}
	// A detection marked on the backdated deploy moves the impact's start
	// there; a resolution marked on the mitigation ends it there.
	f.Incident.Timeline[9].KeyMoment = tocsin.KeyDetection
	f.Incident.Timeline[8].KeyMoment = tocsin.KeyResolution
	g = Measure(f)
	if g.Duration != 35*time.Minute || g.TimeToDetect != 10*time.Minute || g.TimeToMitigate != -1 || g.TimeToResolve != 50*time.Minute {
		t.Fatalf("figures with key moments %+v", g)
	}
	// Still open, nobody paged: what is not known yet says so.
	f = scripted()
	f.Incident.ResolvedAt, f.Incident.AckedAt, f.Pages = time.Time{}, time.Time{}, nil
	md := Draft(f)
	for _, want := range []string{"| Impact end | ongoing |", "| Duration | — |", "| Time to acknowledge | — |", "Nobody was paged."} {
		if !strings.Contains(md, want) {
			t.Errorf("open incident's draft lacks %q:\n%s", want, md)
		}
	}
}

// TestDraftIsGFM: the draft renders in GitHub-flavoured Markdown: the
// header table and the timeline are tables with every row and cell, and
// HTML in a message is escaped.
func TestDraftIsGFM(t *testing.T) {
	f := scripted()
	f.Incident.Timeline[7].Message = `Status: <script>alert(1)</script> investigating`
	out, err := HTML(Draft(f))
	if err != nil {
		t.Fatal(err)
	}
	tables := regexp.MustCompile(`(?s)<table>.*?</table>`).FindAllString(out, -1)
	if len(tables) != 4 {
		t.Fatalf("%d tables, want 4 (header, timeline, pages, alerts and checks):\n%s", len(tables), out)
	}
	count := func(s, tag string) int { return strings.Count(s, "<"+tag+">") + strings.Count(s, "<"+tag+" ") }
	for i, want := range []struct{ rows, cells int }{
		{1 + 10, 2 * 11}, // header row + 10 figures, 2 columns
		{1 + 11, 5 * 12}, // header row + 11 entries (deliveries and key-moment marks left out), 5 columns
		{1 + 3, 5 * 4},   // 3 pages
		{1 + 1, 5 * 2},   // 1 alert
	} {
		rows, cells := count(tables[i], "tr"), count(tables[i], "th")+count(tables[i], "td")
		if rows != want.rows || cells != want.cells {
			t.Errorf("table %d: %d rows, %d cells, want %d, %d:\n%s", i, rows, cells, want.rows, want.cells, tables[i])
		}
	}
	if strings.Contains(out, "<script>") || !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("a message's HTML not shown as text:\n%s", out)
	}
	// Raw HTML a person writes into a postmortem is never rendered.
	raw, err := HTML("Fixed <script>alert(1)</script> <img src=x onerror=alert(1)>\n\n<iframe src=\"https://example.com\"></iframe>\n")
	if err != nil || strings.Contains(raw, "<script") || strings.Contains(raw, "<img") || strings.Contains(raw, "<iframe") {
		t.Errorf("raw HTML rendered: %v\n%s", err, raw)
	}
	for _, s := range Sections {
		if !strings.Contains(out, "<h2>"+s.Title+"</h2>") {
			t.Errorf("no section %q", s.Title)
		}
	}
}

// TestDraftActionItems: the incident's action items are a table under
// Action items, one row each (item, owner, due, status, link), valid GFM
// whatever their text and links hold.
func TestDraftActionItems(t *testing.T) {
	f := scripted()
	f.ActionItems = []store.ActionItem{
		{ID: 3, Title: "Alert on replication lag | before <it> fails", Owner: "cy", Due: "2026-01-20", Status: store.ActionOpen,
			Link: "https://tickets.example/browse/OPS-1?a=1&b=(2)|x"},
		{ID: 4, Title: "Runbook for failover", Owner: "bo", Status: store.ActionWontDo},
	}
	md := Draft(f)
	want := "## Action items\n\n_What to change so that it does not happen again, each with an owner._\n\n" +
		"| Item | Owner | Due | Status | Link |\n|---|---|---|---|---|\n" +
		"| #3 Alert on replication lag \\| before &lt;it&gt; fails | cy | 2026-01-20 | open | [tickets.example](https://tickets.example/browse/OPS-1?a=1&amp;b=%282%29%7Cx) |\n" +
		"| #4 Runbook for failover | bo | — | wont do | — |\n"
	if !strings.HasSuffix(md, want) {
		t.Fatalf("draft ends:\n%s\nwant\n%s", md[strings.LastIndex(md, "## Action items"):], want)
	}
	out, err := HTML(md)
	if err != nil {
		t.Fatal(err)
	}
	tables := regexp.MustCompile(`(?s)<table>.*?</table>`).FindAllString(out, -1)
	if len(tables) != 5 {
		t.Fatalf("%d tables, want 5", len(tables))
	}
	items := tables[4]
	if n := strings.Count(items, "<tr>"); n != 3 || strings.Count(items, "<td") != 10 ||
		!strings.Contains(items, `<a href="https://tickets.example/browse/OPS-1?a=1&amp;b=%282%29%7Cx">tickets.example</a>`) ||
		!strings.Contains(items, "Alert on replication lag | before &lt;it&gt; fails") {
		t.Fatalf("action items table:\n%s", items)
	}
	// None: the prompt alone, as before.
	if md := Draft(scripted()); !strings.HasSuffix(md, "_What to change so that it does not happen again, each with an owner._\n") {
		t.Fatalf("draft without action items ends:\n%s", md[len(md)-200:])
	}
}
