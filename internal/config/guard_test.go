package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
)

func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	cfg, err := Parse("tocsin.yaml", []byte(text))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return cfg
}

func TestEmptyFile(t *testing.T) {
	for _, text := range []string{"", "\n\n", "   \n  \n", "# only a comment\n\n# another\n", "---\n", "~\n"} {
		if cfg := mustParse(t, text); !cfg.Empty {
			t.Errorf("%q: not seen as empty", text)
		}
	}
	for _, text := range []string{"{}\n", "checks: []\n", "public_url: http://x.example\n"} {
		if cfg := mustParse(t, text); cfg.Empty {
			t.Errorf("%q: seen as empty", text)
		}
	}
}

// running is a previous config of four checks, two channels and an
// operator route.
func running() Previous {
	return Previous{Present: true, ChannelsKnown: true, Channels: []string{"ops", "pager"}, Operator: []string{"ops"},
		Checks: []PreviousCheck{
			{Name: "lb-1", UUID: "11111111-1111-4111-8111-111111111111", Slug: "lb-1"},
			{Name: "lb-2", UUID: "22222222-2222-4222-8222-222222222222", Slug: "lb-2"},
			{Name: "lb-3", UUID: "33333333-3333-4333-8333-333333333333", Slug: "lb-3"},
			{Name: "backup", UUID: "44444444-4444-4444-8444-444444444444", Slug: "backup"},
		}}
}

const fullConfig = `channels:
  - {name: ops, type: webhook, url: "http://127.0.0.1/ops"}
  - {name: pager, type: webhook, url: "http://127.0.0.1/pager"}
operator: {notify: [ops]}
checks:
  - {name: lb-1, schedule: {every: 1m}, notify: [pager]}
  - {name: lb-2, schedule: {every: 1m}, notify: [pager]}
  - {name: lb-3, schedule: {every: 1m}, notify: [pager]}
  - {name: backup, schedule: {every: 1d}, notify: [ops]}
`

const noChannels = "checks:\n  - {name: lb-1, schedule: {every: 1m}}\n  - {name: lb-2, schedule: {every: 1m}}\n" +
	"  - {name: lb-3, schedule: {every: 1m}}\n  - {name: backup, schedule: {every: 1d}}\n"

func rules(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	return out
}

func TestGuard(t *testing.T) {
	// A file cut at each line boundary still parses, most of the time; the
	// cuts that drop checks or channels must be refused.
	lines := strings.SplitAfter(fullConfig, "\n")
	for _, tc := range []struct {
		name, text string
		prev       Previous
		want       []string
	}{
		{"unchanged", fullConfig, running(), nil},
		{"empty", "", running(), []string{RuleEmptyFile, RuleEveryCheck, RuleEveryChannel, RuleOperatorRoute}},
		{"comments only", "# tocsin\n\n", running(), []string{RuleEmptyFile, RuleEveryCheck, RuleEveryChannel, RuleOperatorRoute}},
		{"empty, first start", "", Previous{}, nil},
		{"empty, nothing before", "", Previous{Present: true}, []string{RuleEmptyFile}},
		{"cut after lb-1", strings.Join(lines[:6], ""), running(), []string{RuleShare}},
		{"cut before checks", strings.Join(lines[:4], ""), running(), []string{RuleEveryCheck}},
		{"cut after the first channel", strings.Join(lines[:2], ""), running(), []string{RuleEveryCheck, RuleOperatorRoute}},
		{"one of four removed (25%)", strings.Join(lines[:8], ""), running(), []string{RuleShare}},
		// Every channel gone: the checks and the operator route name none.
		{"no channels", noChannels, running(), []string{RuleEveryChannel, RuleOperatorRoute}},
		{"channels unknown", noChannels, func() Previous {
			p := running()
			p.ChannelsKnown = false
			return p
		}(), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustParse(t, tc.text)
			fs := Guard(tc.prev, cfg, Compare(tc.prev, cfg, ""))
			if got := rules(fs); !slices.Equal(got, tc.want) {
				t.Fatalf("findings %v, want %v: %s", got, tc.want, FindingsText(fs))
			}
		})
	}
}

func TestGuardMessagesNameWhatGoes(t *testing.T) {
	cfg := mustParse(t, "channels:\n  - {name: ops, type: webhook, url: \"http://127.0.0.1/ops\"}\noperator: {notify: [ops]}\n"+
		"checks:\n  - {name: lb-1, schedule: {every: 1m}}\n")
	fs := Guard(running(), cfg, Compare(running(), cfg, ""))
	text := FindingsText(fs)
	if !strings.Contains(text, "remove 3 of 4 checks (75%, more than reload_guard.share_percent 20%): lb-2, lb-3, backup") {
		t.Fatalf("message: %s", text)
	}
	empty := mustParse(t, "")
	text = FindingsText(Guard(running(), empty, Compare(running(), empty, "")))
	for _, want := range []string{"tocsin.yaml is empty", "every check (4): lb-1, lb-2, lb-3, backup", "every channel (2): ops, pager",
		"operator's route (operator.notify: ops)"} {
		if !strings.Contains(text, want) {
			t.Errorf("message lacks %q: %s", want, text)
		}
	}
}

func TestGuardSettings(t *testing.T) {
	cut := "channels:\n  - {name: ops, type: webhook, url: \"http://127.0.0.1/ops\"}\n  - {name: pager, type: webhook, url: \"http://127.0.0.1/pager\"}\n" +
		"operator: {notify: [ops]}\nchecks:\n  - {name: lb-1, schedule: {every: 1m}}\n  - {name: lb-2, schedule: {every: 1m}}\n" +
		"  - {name: lb-3, schedule: {every: 1m}}\n"
	for _, tc := range []struct {
		guard string
		want  []string
	}{
		{"", []string{RuleShare}},                                    // 1 of 4 is 25%
		{"reload_guard: {share_percent: 25}\n", nil},                 // not more than 25%
		{"reload_guard: {share_percent: 24}\n", []string{RuleShare}}, // more than 24%
		{"reload_guard: {min_removed: 2}\n", nil},                    // one removal does not count
		{"reload_guard: {enabled: false}\n", nil},
	} {
		cfg := mustParse(t, cut+tc.guard)
		if got := rules(Guard(running(), cfg, Compare(running(), cfg, ""))); !slices.Equal(got, tc.want) {
			t.Errorf("%q: findings %v, want %v", tc.guard, got, tc.want)
		}
	}
	// Off, even an empty-looking file is applied; every rule is off.
	cfg := mustParse(t, "reload_guard: {enabled: false}\n")
	if fs := Guard(running(), cfg, Compare(running(), cfg, "")); len(fs) != 0 {
		t.Errorf("guard off: %v", fs)
	}
	if cfg := mustParse(t, ""); cfg.ReloadGuard.SharePercent != DefaultReloadSharePercent || !cfg.ReloadGuard.On() ||
		cfg.ReloadGuard.MinRemoved != 1 || cfg.ReloadGuard.RemovedIncidents != RemovedIncidentsResolve {
		t.Errorf("defaults: %+v", cfg.ReloadGuard)
	}
}

func TestCompare(t *testing.T) {
	prev := running()
	base := mustParse(t, fullConfig)
	for i, c := range base.Checks {
		prev.Checks[i].Fingerprint = c.Fingerprint()
	}
	// lb-1 changes its period; lb-2 is renamed without uuid; lb-9 is new
	// with a uuid of its own.
	next := mustParse(t, strings.NewReplacer("{name: lb-1, schedule: {every: 1m}", "{name: lb-1, schedule: {every: 2m}",
		"name: lb-2,", "name: lb-two,").Replace(fullConfig)+
		"  - {name: lb-9, uuid: 99999999-9999-4999-8999-999999999999, schedule: {every: 1m}}\n")
	d := Compare(prev, next, "https://tocsin.example/")
	if !slices.Equal(d.Created, []string{"lb-two", "lb-9"}) || !slices.Equal(d.Changed, []string{"lb-1"}) ||
		!slices.Equal(d.Removed, []string{"lb-2"}) {
		t.Fatalf("diff %+v", d)
	}
	if len(d.Renamed) != 1 || !strings.Contains(d.Renamed[0], `"lb-two" (slug lb-two) without uuid`) ||
		!strings.Contains(d.Renamed[0], "https://tocsin.example/ping/22222222-2222-4222-8222-222222222222") ||
		!strings.Contains(d.Renamed[0], `uuid: 22222222-2222-4222-8222-222222222222`) {
		t.Fatalf("rename warning: %q", d.Renamed)
	}
	// A new check with a uuid is not taken for a rename.
	next = mustParse(t, strings.Replace(fullConfig, "name: lb-2,", "uuid: 22222222-2222-4222-8222-222222222222, name: lb-two,", 1))
	if d := Compare(prev, next, ""); len(d.Renamed) != 0 {
		t.Fatalf("rename warned with a uuid: %q", d.Renamed)
	}
	// Unknown fingerprints tell no change.
	if d := Compare(running(), next, ""); len(d.Changed) != 0 {
		t.Fatalf("changed without fingerprints: %v", d.Changed)
	}
}

// stepClock is the real time, but its timers run a hook before firing at
// once: the test writes the file while Load waits.
type stepClock struct {
	clock.Real
	hook func()
}

func (c stepClock) NewTimer(time.Duration) clock.Timer {
	c.hook()
	return c.Real.NewTimer(0)
}

func TestReadStable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	if err := os.WriteFile(path, []byte(fullConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	// Written a while ago: read once.
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)
	var waits atomic.Int32
	clk := stepClock{hook: func() { waits.Add(1) }}
	if data, err := readStable(path, clk); err != nil || string(data) != fullConfig || waits.Load() != 0 {
		t.Fatalf("old file: %q %v, %d waits", data, err, waits.Load())
	}

	// Written in place while read: truncated, then filled in two pieces.
	// The reads that disagree are thrown away.
	pieces := []string{"", fullConfig[:40], fullConfig, fullConfig}
	step := 0
	write := func() {
		if step < len(pieces) {
			if err := os.WriteFile(path, []byte(pieces[step]), 0o600); err != nil {
				t.Fatal(err)
			}
			step++
		}
	}
	write() // truncated
	clk = stepClock{hook: write}
	data, err := readStable(path, clk)
	if err != nil || string(data) != fullConfig {
		t.Fatalf("file written while read: %q %v", data, err)
	}

	// A file that never holds still is not used.
	n := 0
	clk = stepClock{hook: func() {
		n++
		os.WriteFile(path, []byte(strings.Repeat("#\n", n)), 0o600)
	}}
	if _, err := readStable(path, clk); err == nil || !strings.Contains(err.Error(), "kept changing while being read") ||
		!strings.Contains(err.Error(), "rename it over") {
		t.Fatalf("ever-changing file: %v", err)
	}
}
