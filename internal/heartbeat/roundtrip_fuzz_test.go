package heartbeat

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/pgtest"
	"github.com/tocsinhq/tocsin/internal/sanitize"
	"github.com/tocsinhq/tocsin/internal/store"
)

// FuzzRecordPing records pings with random bytes in every string field
// (User-Agent, client address, method, scheme, run ID) and a random body
// through the recorder into SQLite and PostgreSQL, and reads each back: no
// panic, no error, the strings equal to the input sanitized, the body as
// sent.
func FuzzRecordPing(f *testing.F) {
	f.Add(uint8(0), "curl/8", "10.0.0.1", "GET", "https", "", []byte("ok"))
	f.Add(uint8(1), "curl\xff\xfe/8", "10.0.0.\x00", "GET\xff", "ht\x00tp", "r\xed\xa0\x80", []byte("\x00\xff"))
	f.Add(uint8(2), "\x00", "\xc3", "", "", "\xff", []byte(nil))
	type rig struct {
		name  string
		db    *store.DB
		rec   *Recorder
		check *tocsin.Check
	}
	var rigs []rig
	dsns, names := []string{filepath.Join(f.TempDir(), "t.db") + "?sync=normal"}, []string{"sqlite"}
	if err := pgtest.Available(); err != nil {
		f.Logf("PostgreSQL part skipped: %v", err)
	} else {
		dsns, names = append(dsns, pgtest.Start(f).NewDatabase(f)), append(names, "postgres")
	}
	for i, dsn := range dsns {
		db, rec, uuids := poisonRig(f, dsn, 1)
		c, err := db.CheckByUUID(context.Background(), uuids[0])
		if err != nil {
			f.Fatal(err)
		}
		rigs = append(rigs, rig{names[i], db, rec, c})
	}
	kinds := []tocsin.PingKind{tocsin.PingSuccess, tocsin.PingStart, tocsin.PingFail, tocsin.PingLog}
	f.Fuzz(func(t *testing.T, kind uint8, ua, addr, method, scheme, rid string, body []byte) {
		in := tocsin.Ping{Kind: kinds[int(kind)%len(kinds)], UserAgent: ua, RemoteAddr: addr, Method: method, Scheme: scheme,
			RID: rid, Body: body}
		for _, r := range rigs {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			res, err := r.rec.Record(ctx, Request{UUID: r.check.UUID, Ping: in})
			cancel()
			if err != nil || !res.Found {
				t.Fatalf("%s: record: %v (found %v)", r.name, err, res.Found)
			}
			got, err := r.db.Pings(context.Background(), r.check.ID, 1)
			if err != nil || len(got) != 1 {
				t.Fatalf("%s: read back: %v (%d pings)", r.name, err, len(got))
			}
			p := got[0]
			for _, f := range []struct{ name, got, sent string }{{"user_agent", p.UserAgent, ua}, {"remote_addr", p.RemoteAddr, addr},
				{"method", p.Method, method}, {"scheme", p.Scheme, scheme}, {"rid", p.RID, rid}} {
				if f.got != sanitize.Text(f.sent) {
					t.Fatalf("%s: %s read back as %q, want %q", r.name, f.name, f.got, sanitize.Text(f.sent))
				}
			}
			if p.Kind != in.Kind || !bytes.Equal(p.Body, body) {
				t.Fatalf("%s: kind %q body %q read back as %q %q", r.name, in.Kind, body, p.Kind, p.Body)
			}
		}
	})
}
