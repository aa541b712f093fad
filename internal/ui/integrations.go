package ui

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tocsinhq/tocsin/internal/auth"
)

func (u *UI) integrationRoutes() []auth.Route {
	return []auth.Route{
		page("GET /integrations", auth.Viewer, u.integrationsPage),
	}
}

// integrationsView is the integrations page's data.
type integrationsView struct {
	Base         string // the URL senders reach Tocsin at
	FromRequest  bool   // Base is the request's own host: the config sets no public_url
	KeysShown    bool   // the viewer may see keys, which are credentials
	Routed       bool   // the config has routes, which may send an integration's alerts elsewhere
	Integrations []integrationView
}

// integrationView is one integration with its URL and the snippets that
// point a sender at it.
type integrationView struct {
	ID                  string // of its heading, for aria-labelledby
	Name, Type, Service string
	URL                 string   // where it is posted to
	Key                 string   // "" when hidden from the viewer or only its SHA-256 is configured
	Hashed              bool     // the config holds only the key's SHA-256
	Notify              []string // the service's channels
	Escalation          string   // the service's escalation policy; "": none
	Snippets            []snippet
}

// snippet is a copyable piece of config or a command.
type snippet struct {
	ID, Title, Text string
}

// keyPlaceholder stands for a key the page does not show.
const keyPlaceholder = "<integration key>"

// integrationsPage lists the config's integrations, each with its URL, its
// key (for responders and admins: it is the credential of the URL) and
// copyable snippets for Alertmanager, Prometheus and curl.
func (u *UI) integrationsPage(w http.ResponseWriter, r *http.Request) {
	snap := u.srv.Snapshots.Load()
	p, _ := auth.PrincipalFrom(r.Context())
	cfg := snap.Config
	v := integrationsView{Base: strings.TrimSuffix(cfg.PublicURL, "/"), KeysShown: p.Role.Allows(auth.Responder), Routed: len(cfg.Routes) > 0}
	if v.Base == "" {
		v.Base, v.FromRequest = snap.Scheme(r)+"://"+r.Host, true
	}
	for i, in := range cfg.Integrations {
		iv := integrationView{Name: in.Name, Type: in.Type, Service: in.Service, Hashed: in.Key == ""}
		for _, sv := range cfg.Services {
			if sv.Name == in.Service {
				iv.Notify, iv.Escalation = sv.Notify, sv.EscalationPolicy
			}
		}
		if v.KeysShown {
			iv.Key = in.Key
		}
		key := iv.Key
		if key == "" {
			key = keyPlaceholder
		}
		id := fmt.Sprintf("int%d", i)
		iv.ID = id
		switch in.Type {
		case "alertmanager":
			iv.URL = v.Base + "/ingest/alertmanager/" + key
			iv.Snippets = []snippet{
				{id + "-am", "Alertmanager (alertmanager.yml)", alertmanagerWebhook(iv.URL)},
				{id + "-prom", "Prometheus (prometheus.yml): alerts go to Alertmanager, which sends them to Tocsin", prometheusAlerting},
			}
		case "pagerduty":
			iv.URL = v.Base + "/v2/enqueue"
			iv.Snippets = []snippet{
				{id + "-am", "Alertmanager (alertmanager.yml), through PagerDuty's Events API", alertmanagerPagerDuty(iv.URL, key)},
				{id + "-curl", "curl: trigger, then resolve, a test alert", pagerDutyCurl(iv.URL, key)},
			}
		case "grafana":
			iv.URL = v.Base + "/ingest/grafana/" + key
			iv.Snippets = []snippet{
				{id + "-grafana", "Grafana (a provisioned contact point; or Alerting → Contact points → Webhook with this URL)", grafanaContactPoint(iv.URL)},
			}
		case "generic":
			iv.URL = v.Base + "/ingest/generic/" + key
			iv.Snippets = []snippet{
				{id + "-curl", "curl: fire, then resolve, a test alert", genericCurl(iv.URL)},
			}
		}
		v.Integrations = append(v.Integrations, iv)
	}
	u.render(w, r, "integrations", "Integrations", "integrations", v)
}

func alertmanagerWebhook(url string) string {
	return `route:
  receiver: tocsin
receivers:
  - name: tocsin
    webhook_configs:
      - url: ` + url + `
        send_resolved: true
`
}

// prometheusAlerting points Prometheus at the Alertmanager that routes to
// Tocsin: Tocsin takes Alertmanager's webhook, not Prometheus's own alerts.
const prometheusAlerting = `alerting:
  alertmanagers:
    - static_configs:
        - targets: ["alertmanager:9093"]
rule_files:
  - alert-rules.yml
`

func alertmanagerPagerDuty(url, key string) string {
	return `route:
  receiver: tocsin
receivers:
  - name: tocsin
    pagerduty_configs:
      - routing_key: ` + key + `
        url: ` + url + `
        send_resolved: true
`
}

// grafanaContactPoint is Grafana's file provisioning of a webhook contact
// point that sends its default body to Tocsin.
func grafanaContactPoint(url string) string {
	return `apiVersion: 1
contactPoints:
  - orgId: 1
    name: tocsin
    receivers:
      - uid: tocsin
        type: webhook
        disableResolveMessage: false
        settings:
          url: ` + url + `
          httpMethod: POST
`
}

func pagerDutyCurl(url, key string) string {
	return `curl -fsS -m 10 -H 'Content-Type: application/json' ` + url + ` \
  --data '{"routing_key": "` + key + `", "event_action": "trigger", "dedup_key": "tocsin-test",
    "payload": {"summary": "Test alert", "source": "my-host", "severity": "warning"}}'
curl -fsS -m 10 -H 'Content-Type: application/json' ` + url + ` \
  --data '{"routing_key": "` + key + `", "event_action": "resolve", "dedup_key": "tocsin-test"}'
`
}

func genericCurl(url string) string {
	return `curl -fsS -m 10 -H 'Content-Type: application/json' ` + url + ` \
  --data '{"key": "tocsin-test", "summary": "Test alert", "severity": "warning"}'
curl -fsS -m 10 -H 'Content-Type: application/json' ` + url + ` \
  --data '{"key": "tocsin-test", "status": "resolved"}'
`
}
