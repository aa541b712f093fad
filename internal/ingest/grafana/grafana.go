// Package grafana reads the body of Grafana Alerting's webhook contact
// point (payload version "1") and turns it into Tocsin alerts.
//
// Grafana's body is Alertmanager's webhook with more: orgId, state, title
// and message beside the group, and per alert silenceURL, dashboardURL,
// panelURL, imageURL, values and valueString. Parse decodes and maps it
// with package alertmanager, so a Grafana alert is identified, grouped and
// resolved exactly as an Alertmanager one (its group key and fingerprint);
// the extras are kept: the URLs as links (the image as an image), and the
// fingerprint, URLs and values in the alert's details.
//
// Parse is all or nothing, as alertmanager.Parse is: a body with one
// invalid alert is refused whole with a tocsin.EInvalid error naming the
// field.
package grafana

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strings"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/ingest/alertmanager"
	"github.com/tocsinhq/tocsin/internal/sanitize"
)

// Version is the webhook payload version Parse accepts: the one Grafana
// Alerting has sent since it replaced legacy alerting, and still sends.
const Version = "1"

// Payload is what Grafana sends beyond Alertmanager's webhook body.
type Payload struct {
	OrgID   int64   `json:"orgId"`
	State   string  `json:"state"` // alerting or ok
	Title   string  `json:"title"`
	Message string  `json:"message"`
	Alerts  []Alert `json:"alerts"`
}

// Alert is what one alert of a Grafana body holds beyond Alertmanager's.
type Alert struct {
	Fingerprint  string          `json:"fingerprint"`
	SilenceURL   string          `json:"silenceURL"`
	DashboardURL string          `json:"dashboardURL"`
	PanelURL     string          `json:"panelURL"`
	ImageURL     string          `json:"imageURL"`
	Values       json.RawMessage `json:"values"` // query results by reference id, as sent
	ValueString  string          `json:"valueString"`
}

// Details is what an alert's details hold: Grafana's own fields, so that
// the API and the incident show them.
type Details struct {
	Fingerprint  string          `json:"fingerprint"`
	SilenceURL   string          `json:"silenceURL,omitempty"`
	DashboardURL string          `json:"dashboardURL,omitempty"`
	PanelURL     string          `json:"panelURL,omitempty"`
	ImageURL     string          `json:"imageURL,omitempty"`
	Values       json.RawMessage `json:"values,omitempty"`
	ValueString  string          `json:"valueString,omitempty"`
	OrgID        int64           `json:"orgId,omitempty"`
}

// Parse reads a webhook body of at most limit bytes, checks it and returns
// its alerts mapped to tocsin.Alert, in the order sent. Every problem with
// the body is a *tocsin.Error with code EInvalid; only a failure to read r
// is returned as it is, wrapped.
func Parse(r io.Reader, limit int64) (*alertmanager.Payload, *Payload, []tocsin.Alert, error) {
	data, err := alertmanager.ReadLimited(r, limit)
	if err != nil {
		return nil, nil, nil, err
	}
	am, err := alertmanager.Decode(data)
	if err != nil {
		return nil, nil, nil, err
	}
	switch {
	case am.Version == "":
		return nil, nil, nil, tocsin.Errorf(tocsin.EInvalid, "version: required; only %q is accepted", Version)
	case am.Version != Version:
		return nil, nil, nil, tocsin.Errorf(tocsin.EInvalid, "version: %q is not supported; only %q is accepted", am.Version, Version)
	}
	g, err := decodeExtras(data)
	if err != nil {
		return nil, nil, nil, err
	}
	// The rest is Alertmanager's body, checked and mapped by its rules.
	am.Version = alertmanager.Version
	alerts, err := am.Map()
	am.Version = Version
	if err != nil {
		return nil, nil, nil, err
	}
	if len(g.Alerts) != len(alerts) { // both decoded the same array
		return nil, nil, nil, tocsin.Errorf(tocsin.EInvalid, "alerts: could not be read")
	}
	for i := range alerts {
		if err := g.extend(&alerts[i], i); err != nil {
			return nil, nil, nil, err
		}
		sanitize.Alert(&alerts[i])
	}
	return am, g, alerts, nil
}

// decodeExtras decodes Grafana's own fields, naming the one of a wrong
// type.
func decodeExtras(data []byte) (*Payload, error) {
	var g Payload
	err := json.Unmarshal(data, &g)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		path := typeErr.Field
		if strings.HasPrefix(path, "alerts.") {
			// The json package names alerts.silenceURL without the index.
			var raw struct{ Alerts []json.RawMessage }
			if json.Unmarshal(data, &raw) == nil {
				for i, a := range raw.Alerts {
					var ae *json.UnmarshalTypeError
					if errors.As(json.Unmarshal(a, new(Alert)), &ae) {
						path = fmt.Sprintf("alerts[%d].%s", i, ae.Field)
						break
					}
				}
			}
		}
		want := "a string"
		if typeErr.Type.Kind() == reflect.Int64 {
			want = "an integer"
		}
		got, _, _ := strings.Cut(typeErr.Value, " ")
		return nil, tocsin.Errorf(tocsin.EInvalid, "%s: must be %s, got %s", path, want, got)
	}
	if err != nil {
		// Alertmanager's decoding of the same bytes succeeded, so the
		// syntax is sound; never hand back a half-filled body.
		return nil, tocsin.Errorf(tocsin.EInvalid, "malformed JSON: %s", err)
	}
	for i, a := range g.Alerts {
		if v := bytes.TrimSpace(a.Values); len(v) > 0 && v[0] != '{' && string(v) != "null" {
			return nil, tocsin.Errorf(tocsin.EInvalid, "alerts[%d].values: must be an object", i)
		}
	}
	return &g, nil
}

// extend adds to a mapped alert what Grafana sent beyond Alertmanager's
// fields: its URLs as links (only http and https ones: people click them),
// its image, and its own fields as details.
func (g *Payload) extend(a *tocsin.Alert, i int) error {
	ga := &g.Alerts[i]
	for _, l := range []struct{ href, text string }{
		{ga.DashboardURL, "Dashboard"},
		{ga.PanelURL, "Panel"},
		{ga.SilenceURL, "Silence"},
	} {
		href := strings.TrimSpace(l.href)
		if webURL(href) && !hasLink(a.Links, href) {
			a.Links = append(a.Links, tocsin.Link{Href: href, Text: l.text})
		}
	}
	if img := strings.TrimSpace(ga.ImageURL); webURL(img) {
		a.Images = append(a.Images, tocsin.Image{Src: img, Alt: "Panel screenshot"})
	}
	d := Details{Fingerprint: ga.Fingerprint, SilenceURL: ga.SilenceURL, DashboardURL: ga.DashboardURL, PanelURL: ga.PanelURL,
		ImageURL: ga.ImageURL, ValueString: ga.ValueString, OrgID: g.OrgID}
	if v := bytes.TrimSpace(ga.Values); len(v) > 0 && string(v) != "null" {
		d.Values = v
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return tocsin.Errorf(tocsin.EInvalid, "alerts[%d].values: %s", i, err)
	}
	a.Details = raw
	return nil
}

func hasLink(ls []tocsin.Link, href string) bool {
	for _, l := range ls {
		if l.Href == href {
			return true
		}
	}
	return false
}

// webURL reports whether s is an absolute http or https URL.
func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
