package hcapi

import (
	"strings"

	"github.com/tocsinhq/tocsin"
)

// filter is a check's keyword filter as Healthchecks keeps it: three
// comma-separated keyword lists and four flags. filter_http_body makes
// the lists classify the pings to the plain URL; filter_subject and
// filter_body apply them to email, which Tocsin does not take: they are
// kept and shown, and change nothing.
type filter struct {
	startKw, successKw, failureKw           string
	subject, body, httpBody, defaultFailure bool
}

// filterOf is the keyword filter of a check as Healthchecks shows it.
func filterOf(f *tocsin.KeywordFilter) filter {
	if f == nil {
		return filter{}
	}
	return filter{startKw: strings.Join(f.Start, ","), successKw: strings.Join(f.Success, ","),
		failureKw: strings.Join(f.Failure, ","), subject: f.EmailSubject, body: f.EmailBody,
		httpBody: !f.HTTPOff, defaultFailure: f.DefaultFail}
}

// apply sets on f the fields s gives, in the order of Healthchecks'
// _update: subject and subject_fail set the success and failure keywords
// and turn filter_subject on while either is set; the fields named
// after the check's own come last, so an explicit filter_subject wins.
func (f *filter) apply(s *spec) {
	if s.subject != nil {
		f.successKw = *s.subject
		f.subject = f.successKw != "" || f.failureKw != ""
	}
	if s.subjectFail != nil {
		f.failureKw = *s.subjectFail
		f.subject = f.successKw != "" || f.failureKw != ""
	}
	for _, v := range []struct {
		dst *string
		src *string
	}{{&f.startKw, s.startKw}, {&f.successKw, s.successKw}, {&f.failureKw, s.failureKw}} {
		if v.src != nil {
			*v.dst = *v.src
		}
	}
	for _, v := range []struct {
		dst *bool
		src *bool
	}{{&f.subject, s.filterSubject}, {&f.body, s.filterBody}, {&f.httpBody, s.filterHTTPBody}, {&f.defaultFailure, s.filterDefaultFail}} {
		if v.src != nil {
			*v.dst = *v.src
		}
	}
}

// keywordFilter is f as Tocsin keeps it; nil when it holds nothing.
func (f filter) keywordFilter() *tocsin.KeywordFilter {
	k := &tocsin.KeywordFilter{Start: splitKeywords(f.startKw), Success: splitKeywords(f.successKw),
		Failure: splitKeywords(f.failureKw), DefaultFail: f.defaultFailure, HTTPOff: !f.httpBody,
		EmailSubject: f.subject, EmailBody: f.body}
	if len(k.Start)+len(k.Success)+len(k.Failure) == 0 && !f.subject && !f.body && !f.httpBody && !f.defaultFailure {
		return nil
	}
	return k
}

// splitKeywords is a comma-separated list of keywords, as Healthchecks
// reads it: each one trimmed, empty ones dropped.
func splitKeywords(s string) []string {
	var out []string
	for _, kw := range strings.Split(s, ",") {
		if kw = strings.TrimSpace(kw); kw != "" {
			out = append(out, kw)
		}
	}
	return out
}

// fields are f's fields of the check document, as Check.to_dict writes
// them: subject and subject_fail repeat the keywords while filter_subject
// is on. filter_http_body and filter_default_fail, which Healthchecks'
// newer releases added, are written when true only, so that a check
// without them has the document of the releases whose tests Tocsin
// replays.
func (f filter) fields(d map[string]any) {
	d["subject"], d["subject_fail"] = "", ""
	if f.subject {
		d["subject"], d["subject_fail"] = f.successKw, f.failureKw
	}
	d["start_kw"], d["success_kw"], d["failure_kw"] = f.startKw, f.successKw, f.failureKw
	d["filter_subject"], d["filter_body"] = f.subject, f.body
	if f.httpBody {
		d["filter_http_body"] = true
	}
	if f.defaultFailure {
		d["filter_default_fail"] = true
	}
}
