package config

import (
	"fmt"
	"strings"
)

// Limits of a check's keyword lists. Healthchecks keeps each list in 200
// characters; Tocsin counts per keyword.
const (
	MaxKeywords   = 20
	MaxKeywordLen = 200
)

// What a ping to a check with keywords says when its body holds none of them.
const (
	NoMatchIgnore = "ignore" // recorded, changes nothing (the default)
	NoMatchFail   = "fail"   // a failure
)

// Keywords classify the pings to a check's plain URL (/ping/<uuid>, or the
// slug form) by their body, in Healthchecks' order: a failure keyword
// makes the ping a failure, else a success keyword a success, else a start
// keyword a start; else NoMatch decides. Keywords are case-sensitive
// substrings. Pings to /start, /fail, /log or an exit status keep their
// meaning.
type Keywords struct {
	Failure []string `yaml:"failure" json:",omitempty"`
	Success []string `yaml:"success" json:",omitempty"`
	Start   []string `yaml:"start" json:",omitempty"`
	NoMatch string   `yaml:"no_match" json:",omitempty"` // NoMatchIgnore (default) or NoMatchFail
}

// validateKeywords checks the keyword filter at p of a heartbeat check.
func (d *decoder) validateKeywords(p string, k *Keywords) {
	if k == nil {
		return
	}
	for _, pr := range KeywordProblems(k.Failure, k.Success, k.Start) {
		d.fieldErrorf(joinField(p, pr.Field), "%s", pr.Problem)
	}
	switch k.NoMatch {
	case "":
		k.NoMatch = NoMatchIgnore
	case NoMatchIgnore, NoMatchFail:
	default:
		d.fieldErrorf(p+".no_match", "must be %s (default) or %s, got %s", NoMatchIgnore, NoMatchFail, quote(k.NoMatch))
	}
}

func joinField(p, field string) string {
	if field == "" {
		return p
	}
	return p + "." + field
}

// KeywordProblem is one problem of a keyword filter's lists: the field
// under the filter ("" for the filter itself, like failure[0]) and what
// is wrong.
type KeywordProblem struct {
	Field, Problem string
}

// KeywordProblems checks a keyword filter's lists by the rules of the
// config file's keywords block, which the APIs share: at least one
// keyword, at most MaxKeywords a list, none empty or longer than
// MaxKeywordLen.
func KeywordProblems(failure, success, start []string) []KeywordProblem {
	var out []KeywordProblem
	if len(failure)+len(success)+len(start) == 0 {
		out = append(out, KeywordProblem{"", "set at least one keyword in failure, success or start (or leave keywords out)"})
	}
	for _, l := range []struct {
		name string
		list []string
	}{{"failure", failure}, {"success", success}, {"start", start}} {
		if len(l.list) > MaxKeywords {
			out = append(out, KeywordProblem{l.name, fmt.Sprintf("at most %d keywords, got %d", MaxKeywords, len(l.list))})
		}
		for i, kw := range l.list {
			ip := fmt.Sprintf("%s[%d]", l.name, i)
			switch {
			case strings.TrimSpace(kw) == "":
				out = append(out, KeywordProblem{ip, "must not be empty or only spaces: it would match every body"})
			case len(kw) > MaxKeywordLen:
				out = append(out, KeywordProblem{ip, fmt.Sprintf("at most %d bytes, got %d", MaxKeywordLen, len(kw))})
			}
		}
	}
	return out
}
