package hcapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/ingest/ping"
)

// Check badges, as Healthchecks serves them: an unguessable URL per tag
// (and "*" for every check) that answers the tag's state as an SVG image,
// JSON or shields.io's endpoint JSON. They are signed with keys derived
// from the config's links_secret; without one there are no badges.

// badgeLabelAll is the label of the badge of every check (Healthchecks'
// MASTER_BADGE_LABEL, its site name).
const badgeLabelAll = "Tocsin"

// badgeKeys are the badge key shown in the URLs (Healthchecks' project
// badge_key, a UUID) and the key tags are signed with, each derived from
// the links secret for its own use; ok false without a secret.
func (a *API) badgeKeys() (key string, sign []byte, ok bool) {
	secret := a.Running().LinksSecret()
	if secret == nil {
		return "", nil, false
	}
	derive := func(purpose string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(purpose))
		return m.Sum(nil)
	}
	b := derive("tocsin badge key")
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	key = fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	return key, derive("tocsin badge signatures"), true
}

// badgeSignature is the eight characters that sign a tag, as
// Healthchecks' base64_hmac(...)[:8].
func badgeSignature(sign []byte, tag string) string {
	m := hmac.New(sha256.New, sign)
	m.Write([]byte(tag))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:8]
}

// badgeURL is Healthchecks' get_badge_url: a signature ending in "-2"
// asks for two states (late shown as up).
func badgeURL(base, key string, sign []byte, tag, format string, withLate bool) string {
	sig := badgeSignature(sign, tag)
	if !withLate {
		sig += "-2"
	}
	if tag == "*" {
		return fmt.Sprintf("%s/badge/%s/%s.%s", base, key, sig, format)
	}
	return fmt.Sprintf("%s/badge/%s/%s/%s.%s", base, key, sig, url.PathEscape(tag), format)
}

// listBadges answers the badge URLs of every tag in use and of "*"; an
// empty map when no links_secret is set.
func (a *API) listBadges(w http.ResponseWriter, r *request) {
	badges := map[string]map[string]string{}
	key, sign, ok := a.badgeKeys()
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"badges": badges})
		return
	}
	checks, err := a.DB.Checks(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	tags := map[string]bool{"*": true}
	for _, c := range checks {
		if !c.IsProbe() {
			for _, t := range c.Tags {
				tags[t] = true
			}
		}
	}
	base := a.Running().Env.PublicURL
	for tag := range tags {
		badges[tag] = map[string]string{
			"svg": badgeURL(base, key, sign, tag, "svg", false), "svg3": badgeURL(base, key, sign, tag, "svg", true),
			"json": badgeURL(base, key, sign, tag, "json", false), "json3": badgeURL(base, key, sign, tag, "json", true),
			"shields": badgeURL(base, key, sign, tag, "shields", false), "shields3": badgeURL(base, key, sign, tag, "shields", true),
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"badges": badges})
}

// badgeAll serves /badge/{key}/{sig}.{format}: every check.
func (a *API) badgeAll(w http.ResponseWriter, r *http.Request) {
	sig, format, _ := cutLast(r.PathValue("sigformat"), ".")
	a.badge(w, r, r.PathValue("key"), sig, "*", format)
}

// badgeTag serves /badge/{key}/{sig}/{tag}.{format}: the checks of one tag.
func (a *API) badgeTag(w http.ResponseWriter, r *http.Request) {
	tag, format, _ := cutLast(r.PathValue("tagformat"), ".")
	a.badge(w, r, r.PathValue("key"), r.PathValue("sig"), tag, format)
}

// cutLast cuts s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// shieldsColors are the colors of shields.io's endpoint badge.
var shieldsColors = map[string]string{"up": "success", "late": "important", "down": "critical"}

// badge answers one badge as Healthchecks' badge view: never cached, CORS
// open, 404 for an unknown format, key or signature.
func (a *API) badge(w http.ResponseWriter, r *http.Request, key, sig, tag, format string) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Headers", "X-Api-Key")
	h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	h.Set("Access-Control-Max-Age", "600")
	h.Set("Cache-Control", ping.NeverCache) // as Healthchecks answers pings and badges
	switch r.Method {
	case http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodGet, http.MethodHead:
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	ourKey, sign, ok := a.badgeKeys()
	if format != "svg" && format != "json" && format != "shields" || !ok || key != ourKey || len(sig) < 8 {
		http.NotFound(w, r)
		return
	}
	withLate := !(len(sig) == 10 && strings.HasSuffix(sig, "-2"))
	if !hmac.Equal([]byte(sig[:8]), []byte(badgeSignature(sign, tag))) {
		http.NotFound(w, r)
		return
	}
	checks, err := a.DB.Checks(r.Context())
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	label := tag
	if tag == "*" {
		label = badgeLabelAll
	}
	status, total, grace, down := "up", 0, 0, 0
	now := a.Clock.Now()
	for _, c := range checks {
		if c.IsProbe() || tag != "*" && !c.HasTags(tag) {
			continue
		}
		total++
		switch badgeState(c, now) {
		case tocsin.StateDown:
			down++
			status = "down"
		case tocsin.StateGrace:
			grace++
			if status == "up" && withLate {
				status = "late"
			}
		}
	}
	switch format {
	case "shields":
		writeJSON(w, http.StatusOK, map[string]any{"schemaVersion": 1, "label": label, "message": status, "color": shieldsColors[status]})
	case "json":
		writeJSON(w, http.StatusOK, map[string]any{"status": status, "total": total, "grace": grace, "down": down})
	default:
		h.Set("Content-Type", "image/svg+xml")
		w.Write([]byte(badgeSVG(label, status)))
	}
}

// badgeState is a check's state as Healthchecks' get_status sees it for
// badges: a run in progress is judged by the schedule of its last ping
// (up or late), unless its start has outlived the grace (down).
func badgeState(c *tocsin.Check, now time.Time) tocsin.CheckState {
	s := c.StateAt(now)
	if s == tocsin.StateStarted {
		notStarted := *c
		notStarted.LastStartAt = time.Time{}
		s = notStarted.StateAt(now)
	}
	return s
}

// badgeColors are Healthchecks' colors of the SVG badge.
var badgeColors = map[string]string{"up": "#4c1", "late": "#fe7d37", "down": "#e05d44"}

// textWidth estimates the width in pixels of s in 11px Verdana: narrow,
// wide and average letters.
func textWidth(s string) int {
	w := 0
	for _, c := range s {
		switch {
		case strings.ContainsRune("fijlrt-", c):
			w += 4
		case strings.ContainsRune("mwMW", c):
			w += 10
		case c >= 'A' && c <= 'Z':
			w += 8
		default:
			w += 7
		}
	}
	return w
}

// badgeSVG draws a two-part badge: the label on grey, the status on its
// color.
func badgeSVG(label, status string) string {
	w1, w2 := textWidth(label)+10, textWidth(status)+10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s: %s">`,
		w1+w2, html.EscapeString(label), status)
	fmt.Fprintf(&b, `<title>%s: %s</title>`, html.EscapeString(label), status)
	fmt.Fprintf(&b, `<rect width="%d" height="20" rx="3" fill="#555"/>`, w1+w2)
	fmt.Fprintf(&b, `<rect x="%d" width="%d" height="20" rx="3" fill="%s"/>`, w1, w2, badgeColors[status])
	fmt.Fprintf(&b, `<rect x="%d" width="4" height="20" fill="%s"/>`, w1, badgeColors[status])
	b.WriteString(`<g fill="#fff" text-anchor="middle" font-family="DejaVu Sans,Verdana,Geneva,sans-serif" font-size="11">`)
	fmt.Fprintf(&b, `<text x="%g" y="14">%s</text>`, float64(w1)/2, html.EscapeString(label))
	fmt.Fprintf(&b, `<text x="%g" y="14">%s</text>`, float64(w1)+float64(w2)/2, status)
	b.WriteString(`</g></svg>`)
	return b.String()
}
