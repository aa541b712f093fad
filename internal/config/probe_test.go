package config

import (
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin/internal/probe/kinds"
)

// goldenProbes sets every key of every probe kind.
const goldenProbes = `checks:
  - name: web
    probe:
      type: http
      url: https://shop.example.com/health
      method: POST
      headers: {Accept: application/json, X-Trace: "1"}
      body: '{"q": "<ping>"}'
      expect_status: [200, 204]
      body_contains: status
      body_regex: '"status": *"'
      json_path: data.items.0
      json_equals: ok
      max_response_time: 2s
      follow_redirects: true
      tls_verify: false
      cert_expiry_warning_days: 14
      timeout: 3s
  - name: port
    probe: {type: tcp, address: "cache.internal:6379", send: "PING\r\n", expect: "+PONG"}
  - name: dns
    interval: 30s
    probe: {type: dns, name: api.example.com, record_type: aaaa, expect: "2001:db8::1", resolver: "10.0.0.53:53"}
  - name: cert
    probe: {type: tls, address: "api.example.com:443", server_name: api.example.com, tls_verify: false, fail_days: 3}
  - name: ping
    probe: {type: icmp, host: 10.0.0.1}
`

// TestProbesStoreAsBefore pins what a probe check leaves in the database:
// its fingerprint (stored with every applied config, to tell changed
// checks) and its spec (stored in the checks table). Both were computed by
// Tocsin before the kinds owned their settings; a difference would mark
// every probe check of an existing database as changed.
func TestProbesStoreAsBefore(t *testing.T) {
	cfg, err := Parse("tocsin.yaml", []byte(goldenProbes))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ fingerprint, spec string }{
		"web":  {"b9965b981aa5dccd", `{"type":"http","timeout":3000000000,"url":"https://shop.example.com/health","method":"POST","headers":{"Accept":"application/json","X-Trace":"1"},"body":"{\"q\": \"\u003cping\u003e\"}","expect_status":[200,204],"body_contains":"status","body_regex":"\"status\": *\"","json_path":"data.items.0","json_equals":"ok","max_response_time":2000000000,"follow_redirects":true,"tls_verify":false,"cert_expiry_warning_days":14}`},
		"port": {"e11ba6c84ff3b7cd", `{"type":"tcp","timeout":10000000000,"address":"cache.internal:6379","send":"PING\r\n","expect":"+PONG"}`},
		"dns":  {"a8c9893b52d430b0", `{"type":"dns","timeout":10000000000,"expect":"2001:db8::1","name":"api.example.com","record_type":"AAAA","resolver":"10.0.0.53:53"}`},
		"cert": {"7fc4d367db018c36", `{"type":"tls","timeout":10000000000,"tls_verify":false,"address":"api.example.com:443","server_name":"api.example.com","warning_days":14,"fail_days":3}`},
		"ping": {"28fa18d2a0e34d07", `{"type":"icmp","timeout":10000000000,"host":"10.0.0.1","count":1}`},
	}
	for _, c := range cfg.Checks {
		w := want[c.Name]
		if got := c.Fingerprint(); got != w.fingerprint {
			t.Errorf("%s: fingerprint %s, want %s", c.Name, got, w.fingerprint)
		}
		spec, err := kinds.Spec{Type: c.Probe.Type, Timeout: c.Probe.Timeout.D(), Settings: c.Probe.Settings}.Marshal()
		if err != nil || spec != w.spec {
			t.Errorf("%s: spec %s (%v), want %s", c.Name, spec, err, w.spec)
		}
	}
}

// TestRedactedPrintsEveryProbeKey: the printed config shows a probe with
// the keys of every kind, as it did when one struct held them all.
func TestRedactedPrintsEveryProbeKey(t *testing.T) {
	cfg, err := Parse("tocsin.yaml", []byte(goldenProbes))
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.Redacted()
	for _, want := range []string{
		"        type: tcp\n        timeout: 10s\n        url: \"\"\n",
		"        max_response_time: 2s\n        follow_redirects: true\n        tls_verify: false\n",
		"        host: 10.0.0.1\n        count: 1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("printed config lacks %q:\n%s", want, out)
		}
	}
}
