package config

import (
	"strings"
	"testing"
)

func TestEdgeSettings(t *testing.T) {
	cfg, err := Parse("e.yaml", []byte("trusted_proxies: [127.0.0.1, '10.0.0.0/8', '::1', '2001:db8::/32', 10.1.2.3/8]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Metrics != MetricsPublic {
		t.Errorf("metrics default %q, want public", cfg.Metrics)
	}
	var got []string
	for _, s := range cfg.TrustedProxies {
		p, err := ParseProxy(s)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.String())
	}
	if want := "127.0.0.1/32 10.0.0.0/8 ::1/128 2001:db8::/32 10.0.0.0/8"; strings.Join(got, " ") != want {
		t.Errorf("proxies %q, want %q", got, want)
	}
	for _, bad := range []string{"", "localhost", "10.0.0.0/33", "1.2.3.4:80"} {
		if _, err := ParseProxy(bad); err == nil {
			t.Errorf("ParseProxy(%q) accepted", bad)
		}
	}

	cfg, err = Parse("m.yaml", []byte("metrics: token\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(cfg.Warnings, "\n"); !strings.Contains(w, "m.yaml:1: metrics: is token, but no api_tokens are set") {
		t.Errorf("warnings %q", w)
	}
	cfg, err = Parse("m.yaml", []byte("metrics: 'off'\n"))
	if err != nil || cfg.Metrics != MetricsOff {
		t.Fatalf("metrics off: %v %+v", err, cfg)
	}
}
