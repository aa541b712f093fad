package cron

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones of the vectors, whatever the machine has
)

type vector struct {
	Expr  string   `json:"expr"`
	TZ    string   `json:"tz"`
	Start string   `json:"start"`
	Next  []string `json:"next"`
}

func readLines(t *testing.T, path string, each func(line int, raw []byte)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		each(n, sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestVectors checks every reference vector: the next five fire times, with
// their real UTC offsets.
func TestVectors(t *testing.T) {
	total, failed := 0, 0
	readLines(t, "testdata/vectors_public.jsonl", func(line int, raw []byte) {
		var v vector
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		total++
		e, err := Parse(v.Expr)
		if err != nil {
			failed++
			t.Errorf("line %d: %q: %v", line, v.Expr, err)
			return
		}
		loc, err := time.LoadLocation(v.TZ)
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		at, err := time.Parse(time.RFC3339, v.Start)
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		var got []string
		for range v.Next {
			n, err := e.Next(at, loc)
			if err != nil {
				got = append(got, err.Error())
				break
			}
			got = append(got, n.Format(TimeFormat))
			at = n
		}
		if strings.Join(got, " ") != strings.Join(v.Next, " ") {
			failed++
			t.Errorf("line %d: %q in %s from %s:\n got  %v\n want %v", line, v.Expr, v.TZ, v.Start, got, v.Next)
		}
	})
	t.Logf("%d of %d vectors agree", total-failed, total)
}

func TestInvalid(t *testing.T) {
	readLines(t, "testdata/invalid.jsonl", func(line int, raw []byte) {
		var v struct{ Expr, Reason string }
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		_, err := Parse(v.Expr)
		if err == nil {
			t.Errorf("line %d: %q parsed, want %s", line, v.Expr, v.Reason)
			return
		}
		// Our message must name the field the reference names.
		field := strings.TrimPrefix(v.Reason, "Bad ")
		if strings.HasPrefix(v.Reason, "Bad ") && !strings.Contains(err.Error(), field) {
			t.Errorf("line %d: %q: %v; want it to name the %s field", line, v.Expr, err, field)
		}
	})
}
