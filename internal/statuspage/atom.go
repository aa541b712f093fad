package statuspage

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Atom renders the page's history as an Atom 1.0 feed: one entry per
// update of an incident or a scheduled maintenance, newest first.
func Atom(v *View) ([]byte, error) {
	loc := v.Page.Location
	if loc == nil {
		loc = time.UTC
	}
	pageURL := v.Page.URL
	names := map[string]string{}
	for _, c := range v.Components {
		names[c.ID] = c.Name
	}
	f := atomFeed{XMLNS: "http://www.w3.org/2005/Atom", ID: feedID(v), Title: v.Page.Name + ": incident history",
		Author: &atomPerson{Name: v.Page.Name}, Updated: atomTime(v.Page.UpdatedAt)}
	if pageURL != "" {
		f.Links = []atomLink{{Rel: "alternate", Type: "text/html", Href: pageURL},
			{Rel: "self", Type: "application/atom+xml", Href: strings.TrimSuffix(pageURL, "/") + "/history.atom"}}
	}
	type entry struct {
		at time.Time
		e  atomEntry
	}
	var entries []entry
	for _, list := range [][]Incident{v.Incidents, v.Maintenances} {
		for i := range list {
			in := &list[i]
			var affected []string
			for _, id := range in.Components {
				if n, ok := names[id]; ok {
					affected = append(affected, n)
				}
			}
			for _, u := range in.Updates {
				at := displayAt(u)
				var content strings.Builder
				content.WriteString(u.Body)
				if in.Maintenance {
					fmt.Fprintf(&content, "\n\nScheduled for %s – %s.", fmtTime(in.ScheduledFor, loc), fmtTime(in.ScheduledUntil, loc))
				}
				if len(affected) > 0 {
					content.WriteString("\n\nAffects " + strings.Join(affected, ", ") + ".")
				}
				fmt.Fprintf(&content, "\n\n%s: %s", incidentText[u.Status], fmtTime(at, loc))
				e := atomEntry{ID: feedID(v) + ":" + anchor(in) + ":update-" + u.ID,
					Title:     in.Name + ": " + incidentText[u.Status],
					Updated:   atomTime(at),
					Published: atomTime(at),
					Content:   &atomText{Type: "text", Body: content.String()}}
				if pageURL != "" {
					e.Links = []atomLink{{Rel: "alternate", Type: "text/html", Href: pageURL + "#" + anchor(in)}}
				}
				entries = append(entries, entry{at, e})
			}
		}
	}
	slices.SortStableFunc(entries, func(a, b entry) int { return b.at.Compare(a.at) })
	for _, e := range entries {
		f.Entries = append(f.Entries, e.e)
	}
	if len(entries) > 0 && entries[0].at.After(v.Page.UpdatedAt) {
		f.Updated = atomTime(entries[0].at)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("render atom feed of %s: %w", v.Page.Slug, err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// feedID is the feed's permanent id: a tag URI (RFC 4151) naming the
// page by its host, or by its id alone when it has no URL.
func feedID(v *View) string {
	host := "tocsin.invalid"
	if u, err := url.Parse(v.Page.URL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "tag:" + host + ",2026:status:" + v.Page.ID
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

type atomFeed struct {
	XMLName xml.Name    `xml:"feed"`
	XMLNS   string      `xml:"xmlns,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  *atomPerson `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []atomLink `xml:"link"`
	Content   *atomText  `xml:"content"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}
