package labels

import (
	"strings"
	"testing"
)

func TestParseAndMatch(t *testing.T) {
	alert := map[string]string{"alertname": "HighLatency", "severity": "critical", "cluster": "eu-1"}
	for _, tc := range []struct {
		in    string
		name  string
		op    Op
		value string
		match bool
	}{
		{`alertname="HighLatency"`, "alertname", Equal, "HighLatency", true},
		{`alertname = HighLatency`, "alertname", Equal, "HighLatency", true},
		{`severity!=critical`, "severity", NotEqual, "critical", false},
		{`severity=~"critical|error"`, "severity", Regexp, "critical|error", true},
		{`severity=~"crit"`, "severity", Regexp, "crit", false}, // anchored: a prefix is not a match
		{`cluster!~"us-.*"`, "cluster", NotRegexp, "us-.*", true},
		{`team=""`, "team", Equal, "", true}, // absent label is ""
		{`team!=""`, "team", NotEqual, "", false},
		{`cluster="eu-\"1\""`, "cluster", Equal, `eu-"1"`, false},
		{`cluster="a=b"`, "cluster", Equal, "a=b", false},
		{`  cluster =~ eu-.*  `, "cluster", Regexp, "eu-.*", true},
	} {
		m, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if m.Name != tc.name || m.Op != tc.op || m.Value != tc.value {
			t.Errorf("Parse(%q) = %s %s %q, want %s %s %q", tc.in, m.Name, m.Op, m.Value, tc.name, tc.op, tc.value)
		}
		if got := m.Matches(alert); got != tc.match {
			t.Errorf("%q matches %v = %v, want %v", tc.in, alert, got, tc.match)
		}
		again, err := Parse(m.String())
		if err != nil || again.String() != m.String() {
			t.Errorf("round trip of %q: %q, %v", tc.in, again.String(), err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, "no operator"},
		{`alertname`, "no operator"},
		{`="x"`, "label name missing"},
		{`1abc="x"`, "not a valid label name"},
		{`a-b="x"`, "not a valid label name"},
		{`a=~"("`, "bad regular expression"},
		{`a="unterminated`, "not a well-formed quoted string"},
		{`a!x`, "no operator"},
	} {
		_, err := Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestSet(t *testing.T) {
	set, err := ParseSet([]string{`alertname="DiskFull"`, `severity=~"critical|error"`})
	if err != nil {
		t.Fatal(err)
	}
	if !set.Matches(map[string]string{"alertname": "DiskFull", "severity": "error"}) {
		t.Error("set should match")
	}
	if set.Matches(map[string]string{"alertname": "DiskFull", "severity": "warning"}) {
		t.Error("set should not match when one matcher fails")
	}
	if !(Set{}).Matches(nil) {
		t.Error("empty set matches everything")
	}
	if _, err := ParseSet([]string{`a="x"`, `b`}); err == nil || !strings.HasPrefix(err.Error(), "[1]:") {
		t.Errorf("ParseSet error should name the index: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`a="b"`, `a=~"x|y"`, `a!~".*"`, `a != b`, `a="\u00e9"`, `=`, `a=~"("`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(s)
		if err != nil {
			return
		}
		m.Matches(map[string]string{m.Name: s})
		again, err := Parse(m.String())
		if err != nil {
			t.Fatalf("Parse(%q) ok but its String %q does not parse: %v", s, m.String(), err)
		}
		if again.Name != m.Name || again.Op != m.Op || again.Value != m.Value {
			t.Fatalf("round trip changed %q: %+v vs %+v", s, m, again)
		}
	})
}
