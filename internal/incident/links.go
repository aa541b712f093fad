package incident

import (
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/sanitize"
)

// Limits of the links people put on an incident.
const (
	MaxLinks     = 50
	MaxLinkTitle = 200
	MaxLinkURL   = 2000
)

// CheckLinks cleans a list of links people put on an incident: a known
// kind, a title (stored text cleaned as all stored text is) and an
// http(s) URL; an EInvalid error names the first that is not.
func CheckLinks(list []tocsin.IncidentLink) ([]tocsin.IncidentLink, error) {
	if len(list) > MaxLinks {
		return nil, tocsin.Errorf(tocsin.EInvalid, "at most %d links, got %d", MaxLinks, len(list))
	}
	out := []tocsin.IncidentLink{}
	for i, l := range list {
		l.Kind, l.Title, l.URL = strings.TrimSpace(l.Kind), sanitize.Text(strings.TrimSpace(l.Title)), strings.TrimSpace(l.URL)
		if !slices.Contains(tocsin.LinkKinds, l.Kind) {
			return nil, tocsin.Errorf(tocsin.EInvalid, "links[%d].kind must be one of %s, got %q", i, strings.Join(tocsin.LinkKinds, ", "), l.Kind)
		}
		if n := utf8.RuneCountInString(l.Title); n == 0 || n > MaxLinkTitle {
			return nil, tocsin.Errorf(tocsin.EInvalid, "links[%d].title must have 1 to %d characters", i, MaxLinkTitle)
		}
		u, err := url.Parse(l.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(l.URL) > MaxLinkURL {
			return nil, tocsin.Errorf(tocsin.EInvalid, "links[%d].url must be an http or https URL of at most %d characters, got %q", i, MaxLinkURL, l.URL)
		}
		out = append(out, l)
	}
	return out, nil
}
