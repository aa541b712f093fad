// Package kinds builds a prober of any kind from its stored spec, in one
// place: the runner needs no knowledge of the kinds.
package kinds

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
	"github.com/tocsinhq/tocsin/internal/probe/dnsprobe"
	"github.com/tocsinhq/tocsin/internal/probe/httpprobe"
	"github.com/tocsinhq/tocsin/internal/probe/icmpprobe"
	"github.com/tocsinhq/tocsin/internal/probe/tcpprobe"
	"github.com/tocsinhq/tocsin/internal/probe/tlsprobe"
)

// Spec is a probe as stored with its check (JSON): the union of every
// kind's settings, as the config file writes them.
type Spec struct {
	Type    string        `json:"type"`
	Timeout time.Duration `json:"timeout"`

	URL                   string            `json:"url,omitempty"`
	Method                string            `json:"method,omitempty"`
	Headers               map[string]string `json:"headers,omitempty"`
	Body                  string            `json:"body,omitempty"`
	ExpectStatus          []int             `json:"expect_status,omitempty"`
	BodyContains          string            `json:"body_contains,omitempty"`
	BodyRegex             string            `json:"body_regex,omitempty"`
	JSONPath              string            `json:"json_path,omitempty"`
	JSONEquals            string            `json:"json_equals,omitempty"`
	MaxResponseTime       time.Duration     `json:"max_response_time,omitempty"`
	FollowRedirects       bool              `json:"follow_redirects,omitempty"`
	TLSVerify             *bool             `json:"tls_verify,omitempty"`
	CertExpiryWarningDays int               `json:"cert_expiry_warning_days,omitempty"`

	Address string `json:"address,omitempty"`
	Send    string `json:"send,omitempty"`
	Expect  string `json:"expect,omitempty"`

	Name       string `json:"name,omitempty"`
	RecordType string `json:"record_type,omitempty"`
	Resolver   string `json:"resolver,omitempty"`

	ServerName  string `json:"server_name,omitempty"`
	WarningDays int    `json:"warning_days,omitempty"`
	FailDays    int    `json:"fail_days,omitempty"`

	Host  string `json:"host,omitempty"`
	Count int    `json:"count,omitempty"`
}

// Target says what a probe looks at, for people.
func (s Spec) Target() string {
	switch s.Type {
	case "http":
		return s.URL
	case "tcp", "tls":
		return s.Address
	case "dns":
		return s.RecordType + " " + s.Name
	case "icmp":
		return s.Host
	}
	return ""
}

// Parse decodes a stored spec.
func Parse(raw string) (Spec, error) {
	var s Spec
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return s, fmt.Errorf("probe spec: %w", err)
	}
	return s, nil
}

// Build makes the prober a spec describes.
func Build(s Spec, clock interface{ Now() time.Time }) (probe.Prober, error) {
	switch s.Type {
	case "http":
		return httpprobe.New(httpprobe.Config{URL: s.URL, Method: s.Method, Headers: s.Headers, Body: s.Body,
			ExpectStatus: s.ExpectStatus, BodyContains: s.BodyContains, BodyRegex: s.BodyRegex, JSONPath: s.JSONPath,
			JSONEquals: s.JSONEquals, MaxResponseTime: s.MaxResponseTime, FollowRedirects: s.FollowRedirects,
			TLSVerify: s.TLSVerify, CertExpiryWarningDays: s.CertExpiryWarningDays, Timeout: s.Timeout}, clock)
	case "tcp":
		return tcpprobe.New(tcpprobe.Config{Address: s.Address, Send: s.Send, Expect: s.Expect, Timeout: s.Timeout}, clock)
	case "dns":
		return dnsprobe.New(dnsprobe.Config{Name: s.Name, RecordType: s.RecordType, Expect: s.Expect, Resolver: s.Resolver,
			Timeout: s.Timeout}, clock)
	case "tls":
		return tlsprobe.New(tlsprobe.Config{Address: s.Address, ServerName: s.ServerName, WarningDays: s.WarningDays,
			FailDays: s.FailDays, Verify: s.TLSVerify, Timeout: s.Timeout}, clock)
	case "icmp":
		return icmpprobe.New(icmpprobe.Config{Host: s.Host, Count: s.Count, Timeout: s.Timeout}, clock)
	}
	return nil, fmt.Errorf("unknown probe type %q", s.Type)
}
