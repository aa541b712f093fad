package alerting

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/groupcommit"
)

// TestRefusedAlertLeavesItsNeighboursStored makes the database refuse
// one alert of a delivery (a trigger added for the test, standing for any
// deterministic refusal): the other alert is stored and opens its
// incident, and the delivery's error is EInvalid naming the refused
// alert, not an error that asks the sender to retry forever.
func TestRefusedAlertLeavesItsNeighboursStored(t *testing.T) {
	f := newFixture(t, payments(0))
	raw, err := sql.Open("sqlite", f.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON alerts WHEN NEW.summary = 'refused'
		BEGIN SELECT RAISE(ABORT, 'refused summary'); END`); err != nil {
		t.Fatal(err)
	}
	r := groupcommit.NewCall(f.ctx, newPending(Delivery{Integration: "am", Service: "payments",
		Alerts: []tocsin.Alert{firing("bad", "refused"), firing("good", "disk full")}}))
	other := groupcommit.NewCall(f.ctx, newPending(Delivery{Integration: "am", Service: "payments",
		Alerts: []tocsin.Alert{firing("other", "cpu")}}))
	f.p.commit(f.ctx, []*call{r, other})
	if tocsin.ErrorCode(r.Err) != tocsin.EInvalid || !strings.Contains(tocsin.ErrorMessage(r.Err), "alerts[0]") {
		t.Fatalf("delivery error = %v, want EInvalid naming alerts[0]", r.Err)
	}
	if r.Req.out.New != 1 {
		t.Errorf("outcome %+v, want the good alert new", r.Req.out)
	}
	if other.Err != nil {
		t.Errorf("the other delivery of the batch failed: %v", other.Err)
	}
	for _, key := range []string{"good", "other"} {
		if a := f.alert("am", key); a == nil || a.IncidentID == 0 {
			t.Errorf("alert %q not stored with an incident: %+v", key, a)
		}
	}
	if a := f.alert("am", "bad"); a != nil {
		t.Errorf("refused alert stored: %+v", a)
	}
}

// TestRefusedAlertInALargeDelivery: a delivery applied in several chunks
// with one alert refused in the middle stores every other alert, those of
// the chunks after it included, and names the one refused.
func TestRefusedAlertInALargeDelivery(t *testing.T) {
	f := newFixture(t, payments(0))
	raw, err := sql.Open("sqlite", f.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON alerts WHEN NEW.summary = 'refused'
		BEGIN SELECT RAISE(ABORT, 'refused summary'); END`); err != nil {
		t.Fatal(err)
	}
	const n, bad = 2*maxAlertsPerTx + 50, maxAlertsPerTx + 7
	alerts := make([]tocsin.Alert, n)
	for i := range alerts {
		alerts[i] = firing(fmt.Sprintf("a%d", i), "disk full")
	}
	alerts[bad] = firing(fmt.Sprintf("a%d", bad), "refused")
	r := groupcommit.NewCall(f.ctx, newPending(Delivery{Integration: "am", Service: "payments", Alerts: alerts}))
	f.p.commit(f.ctx, []*call{r})
	if want := fmt.Sprintf("alerts[%d]", bad); tocsin.ErrorCode(r.Err) != tocsin.EInvalid ||
		!strings.Contains(tocsin.ErrorMessage(r.Err), want) {
		t.Fatalf("delivery error = %v, want EInvalid naming %s", r.Err, want)
	}
	if r.Req.out.New != n-1 {
		t.Errorf("outcome %+v, want %d new", r.Req.out, n-1)
	}
	for i := range alerts {
		a := f.alert("am", fmt.Sprintf("a%d", i))
		switch {
		case i == bad && a != nil:
			t.Errorf("refused alert stored: %+v", a)
		case i != bad && (a == nil || a.IncidentID == 0):
			t.Fatalf("alert a%d not stored with an incident: %+v", i, a)
		}
	}
}
