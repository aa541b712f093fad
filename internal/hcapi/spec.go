package hcapi

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/cron"
)

// writeRole is the role of Healthchecks' read-write key; a viewer token
// is its read-only key.
const writeRole = auth.Responder

// spec is a check's definition as Healthchecks' API takes it; nil: not
// given.
type spec struct {
	channels, desc, name, schedule, slug, tags, tz, methods *string
	grace, timeout                                          *time.Duration
	manualResume                                            *bool
	// Keyword filters: comma-separated keywords, and the flags.
	subject, subjectFail, startKw, successKw, failureKw          *string
	filterSubject, filterBody, filterHTTPBody, filterDefaultFail *bool
	unique                                                       []string
}

func (s *spec) has(field string) bool {
	switch field {
	case "name":
		return s.name != nil
	case "slug":
		return s.slug != nil
	case "tags":
		return s.tags != nil
	case "timeout":
		return s.timeout != nil
	case "grace":
		return s.grace != nil
	}
	return false
}

var slugPattern = regexp.MustCompile(`^[a-z0-9-_]*$`)

// specError is Healthchecks' "json validation error: <field> <problem>".
func specError(field, problem string) error {
	return errors.New("json validation error: " + field + " " + problem)
}

// parseSpec reads body as Healthchecks' Spec, checking the fields in its
// order and answering the first problem in its words.
func parseSpec(body map[string]json.RawMessage) (*spec, error) {
	s := &spec{}
	str := func(field string, max int, dst **string) error {
		raw, ok := body[field]
		if !ok {
			return nil
		}
		var v string
		if json.Unmarshal(raw, &v) != nil || string(raw) == "null" {
			return specError(field, "is not a string")
		}
		if max > 0 && len([]rune(v)) > max {
			return specError(field, "is too long")
		}
		*dst = &v
		return nil
	}
	boolean := func(field string, dst **bool) error {
		raw, ok := body[field]
		if !ok {
			return nil
		}
		var v bool
		if json.Unmarshal(raw, &v) != nil || string(raw) == "null" {
			return specError(field, "is not a boolean")
		}
		*dst = &v
		return nil
	}
	seconds := func(field string, dst **time.Duration) error {
		raw, ok := body[field]
		if !ok {
			return nil
		}
		var v int64
		if json.Unmarshal(raw, &v) != nil || string(raw) == "null" {
			return specError(field, "is not a number")
		}
		switch {
		case v < 60:
			return specError(field, "is too small")
		case v > 31536000:
			return specError(field, "is too large")
		}
		d := time.Duration(v) * time.Second
		*dst = &d
		return nil
	}
	// Fields of Healthchecks that Tocsin has no use for: checked as
	// Healthchecks does, and refused when set.
	keyword := func(field string) error {
		var v *string
		if err := str(field, 200, &v); err != nil || v == nil || *v == "" {
			return err
		}
		return specError(field, "is not supported by Tocsin")
	}
	steps := []func() error{
		func() error { return str("channels", 0, &s.channels) },
		func() error { return str("desc", 0, &s.desc) },
		func() error { return str("failure_kw", 200, &s.failureKw) },
		func() error { return keyword("req_failure_kw") },
		func() error { return boolean("filter_subject", &s.filterSubject) },
		func() error { return boolean("filter_body", &s.filterBody) },
		func() error { return boolean("filter_http_body", &s.filterHTTPBody) },
		func() error { return boolean("filter_default_fail", &s.filterDefaultFail) },
		func() error { return seconds("grace", &s.grace) },
		func() error { return boolean("manual_resume", &s.manualResume) },
		func() error {
			if err := str("methods", 0, &s.methods); err != nil || s.methods == nil {
				if err != nil && string(body["methods"]) != "null" {
					return specError("methods", "has unexpected value")
				}
				return err
			}
			if *s.methods != "" && *s.methods != "POST" {
				return specError("methods", "has unexpected value")
			}
			return nil
		},
		func() error { return str("name", 100, &s.name) },
		func() error {
			if err := str("schedule", 100, &s.schedule); err != nil || s.schedule == nil {
				return err
			}
			return checkSchedule(*s.schedule)
		},
		func() error {
			if err := str("slug", 100, &s.slug); err != nil || s.slug == nil {
				return err
			}
			if !slugPattern.MatchString(*s.slug) {
				return specError("slug", "does not match pattern")
			}
			return nil
		},
		func() error { return str("start_kw", 200, &s.startKw) },
		func() error { return keyword("req_start_kw") },
		func() error { return str("subject", 200, &s.subject) },
		func() error { return str("subject_fail", 200, &s.subjectFail) },
		func() error { return str("success_kw", 200, &s.successKw) },
		func() error { return keyword("req_success_kw") },
		func() error { return str("tags", 0, &s.tags) },
		func() error { return seconds("timeout", &s.timeout) },
		func() error {
			if err := str("tz", 0, &s.tz); err != nil || s.tz == nil {
				return err
			}
			if _, err := time.LoadLocation(*s.tz); err != nil || *s.tz == "" || *s.tz == "Local" {
				return specError("tz", "is not a valid timezone")
			}
			return nil
		},
		func() error {
			raw, ok := body["unique"]
			if !ok {
				return nil
			}
			var items []json.RawMessage
			if json.Unmarshal(raw, &items) != nil || string(raw) == "null" {
				return specError("unique", "is not an array")
			}
			for _, it := range items {
				var v string
				json.Unmarshal(it, &v)
				switch v {
				case "name", "slug", "tags", "timeout", "grace":
					s.unique = append(s.unique, v)
				default:
					return specError("an item in 'unique'", "has unexpected value")
				}
			}
			return nil
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// checkSchedule accepts a cron expression (one line of five fields) that
// can fire; Healthchecks takes anything else as systemd OnCalendar, which
// Tocsin does not evaluate.
func checkSchedule(schedule string) error {
	if strings.Contains(strings.TrimSpace(schedule), "\n") || len(strings.Fields(schedule)) != 5 {
		return specError("schedule", "is not a valid cron or OnCalendar expression (Tocsin takes cron expressions only)")
	}
	e, err := cron.Parse(schedule)
	if err != nil {
		return specError("schedule", "is not a valid cron or OnCalendar expression")
	}
	if _, err := e.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC); err != nil {
		return specError("schedule", "is not a valid cron or OnCalendar expression")
	}
	return nil
}
