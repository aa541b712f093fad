package kinds

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// storedSpecs were written to the checks table by Tocsin before each kind
// owned its settings (one struct then held every kind's fields): they must
// still load, say the same target and be written back byte for byte, or
// every probe check of an existing database would count as changed.
var storedSpecs = []struct{ raw, target string }{
	{`{"type":"http","timeout":3000000000,"url":"https://shop.example.com/health","method":"POST","headers":{"Accept":"application/json","X-Trace":"1"},"body":"{\"q\": \"\u003cping\u003e\"}","expect_status":[200,204],"body_contains":"status","body_regex":"\"status\": *\"","json_path":"data.items.0","json_equals":"ok","max_response_time":2000000000,"follow_redirects":true,"tls_verify":false,"cert_expiry_warning_days":14}`,
		"https://shop.example.com/health"},
	{`{"type":"http","timeout":5000000000,"url":"http://127.0.0.1:1/health"}`, "http://127.0.0.1:1/health"},
	{`{"type":"tcp","timeout":10000000000,"address":"cache.internal:6379","send":"PING\r\n","expect":"+PONG"}`, "cache.internal:6379"},
	{`{"type":"dns","timeout":10000000000,"expect":"2001:db8::1","name":"api.example.com","record_type":"AAAA","resolver":"10.0.0.53:53"}`,
		"AAAA api.example.com"},
	{`{"type":"tls","timeout":10000000000,"tls_verify":false,"address":"api.example.com:443","server_name":"api.example.com","warning_days":14,"fail_days":3}`,
		"api.example.com:443"},
	{`{"type":"icmp","timeout":10000000000,"host":"10.0.0.1","count":1}`, "10.0.0.1"},
}

func TestStoredSpecsStillLoad(t *testing.T) {
	for _, c := range storedSpecs {
		s, err := Parse(c.raw)
		if err != nil {
			t.Fatalf("%s: %v", c.raw, err)
		}
		if got := s.Target(); got != c.target {
			t.Errorf("%s: target %q, want %q", c.raw, got, c.target)
		}
		if p, err := Build(s, fixedClock{}); err != nil || p == nil {
			t.Errorf("%s: build: %v", c.raw, err)
		}
		again, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if again != c.raw {
			t.Errorf("written back differently:\n got %s\nwant %s", again, c.raw)
		}
	}
}

func TestStoredSpecSettings(t *testing.T) {
	s, err := Parse(storedSpecs[0].raw)
	if err != nil {
		t.Fatal(err)
	}
	if s.Type != "http" || s.Timeout != 3*time.Second {
		t.Fatalf("type %q timeout %s", s.Type, s.Timeout)
	}
	v := reflect.ValueOf(s.Settings).Elem()
	for name, want := range map[string]any{"Method": "POST", "MaxResponseTime": 2 * time.Second, "FollowRedirects": true,
		"ExpectStatus": []int{200, 204}, "CertExpiryWarningDays": 14} {
		if got := v.FieldByName(name).Interface(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if tv := v.FieldByName("TLSVerify").Interface().(*bool); tv == nil || *tv {
		t.Errorf("tls_verify: %v, want false", tv)
	}
}

func TestUnknownTypeFailsTheBuildNotTheParse(t *testing.T) {
	s, err := Parse(`{"type":"smtp","timeout":1000000000,"address":"mail:25"}`)
	if err != nil {
		t.Fatal(err)
	}
	if s.Type != "smtp" || s.Target() != "" {
		t.Errorf("type %q target %q", s.Type, s.Target())
	}
	if _, err := Build(s, fixedClock{}); err == nil || err.Error() != `unknown probe type "smtp"` {
		t.Errorf("build: %v", err)
	}
	if _, err := Parse(`{"type":`); err == nil || !strings.HasPrefix(err.Error(), "probe spec: ") {
		t.Errorf("bad JSON: %v", err)
	}
}

// TestKindsAreWellFormed holds every kind in the registry to what the
// config decoder and the stored spec rely on.
func TestKindsAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range All() {
		if k.Name() == "" || seen[k.Name()] {
			t.Errorf("kind name %q empty or listed twice", k.Name())
		}
		seen[k.Name()] = true
		if got, ok := Lookup(k.Name()); !ok || got != k {
			t.Errorf("Lookup(%q) = %v, %v", k.Name(), got, ok)
		}
		a, b := k.Settings(), k.Settings()
		rt := reflect.TypeOf(a)
		if rt.Kind() != reflect.Pointer || rt.Elem().Kind() != reflect.Struct {
			t.Fatalf("%s: settings are %s, want a pointer to a struct", k.Name(), rt)
		}
		if reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer() {
			t.Errorf("%s: Settings returns the same value twice", k.Name())
		}
		st := rt.Elem()
		for i := range st.NumField() {
			f := st.Field(i)
			y, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			j, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if y != j || y == "" {
				t.Errorf("%s: field %s has yaml key %q and json key %q: they must be set and match", k.Name(), f.Name, y, j)
			}
			if y == "type" || y == "timeout" {
				t.Errorf("%s: field %s takes the key %q, which every probe has", k.Name(), f.Name, y)
			}
		}
	}
	var names []string
	for _, k := range All() {
		names = append(names, k.Name())
	}
	if got := Names(); got != strings.Join(names, ", ") {
		t.Errorf("Names() = %q, want the kinds in order: %v", got, names)
	}
}
