package chat

import (
	"context"
	"mime"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/incident"
)

func TestNtfyRequest(t *testing.T) {
	srv := serve(t, reply{status: 200, body: `{"id":"abc","event":"message"}`})
	s := &Ntfy{Client: srv.Client(), UserAgent: "Tocsin/1.2.3"}
	ch := tocsin.Channel{Type: "ntfy", URL: srv.URL + "/mytopic", Secret: "tk_accesstoken"}
	if retry, err := s.Send(context.Background(), ch, notification(t, page())); err != nil || retry {
		t.Fatalf("Send = %v, %v", retry, err)
	}
	r := srv.only(t)
	if r.Method != "POST" || r.Path != "/mytopic" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	for h, want := range map[string]string{
		"Content-Type":    "text/plain; charset=utf-8",
		"User-Agent":      "Tocsin/1.2.3",
		"Authorization":   "Bearer tk_accesstoken",
		"Idempotency-Key": "tocsin-incident-42-page-default-l1-r1-pager",
		"Title":           "[P1] TRIGGERED: [payments] checkout down",
		"Priority":        "5",
		"Tags":            "rotating_light",
		"Click":           incURL,
		"Actions":         "view, Acknowledge, " + ackURL + "; view, Resolve, " + resolveURL,
		"Markdown":        "",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	want := "Reason: not acknowledged in time\n" +
		"Paging: ana: on call in schedule primary (policy default, level 1, round 1)\n" +
		"Alerts: 2\n• [critical] error rate 12%\n• [warning] SlowCheckout\n" +
		"Service: payments\nPriority: P1"
	if string(r.Body) != want {
		t.Errorf("body =\n%s\nwant\n%s", r.Body, want)
	}
}

func TestNtfyNoSecretNoAuthorization(t *testing.T) {
	srv := serve(t, reply{status: 200})
	ch := tocsin.Channel{URL: srv.URL + "/t", Headers: map[string]string{"Authorization": "Basic dTpw"}}
	if _, err := (&Ntfy{Client: srv.Client()}).Send(context.Background(), ch, notification(t, page())); err != nil {
		t.Fatal(err)
	}
	if got := srv.only(t).Header.Get("Authorization"); got != "Basic dTpw" {
		t.Errorf("Authorization = %q, want the channel's own", got)
	}
}

func TestNtfyPriorityAndTags(t *testing.T) {
	for _, c := range []struct {
		event, priority, want, tags string
	}{
		{tocsin.EventTriggered, "P1", "5", "rotating_light"},
		{tocsin.EventTriggered, "P2", "4", "rotating_light"},
		{tocsin.EventTriggered, "P3", "3", "rotating_light"},
		{tocsin.EventTriggered, "P4", "2", "rotating_light"},
		{tocsin.EventTriggered, "", "4", "rotating_light"},
		{tocsin.EventAcknowledged, "P1", "3", "eyes"},
		{tocsin.EventResolved, "P1", "2", "white_check_mark"},
	} {
		m := Render(notification(t, incident.Event{Event: c.event, Priority: c.priority,
			Incident: incident.EventIncident{ID: 1, Title: "x"}}).Payload)
		h := ntfyHeaders(&m)
		if h["Priority"] != c.want || h["Tags"] != c.tags {
			t.Errorf("%s %s: priority %s tags %s, want %s %s", c.event, c.priority, h["Priority"], h["Tags"], c.want, c.tags)
		}
	}
}

func TestNtfyNonASCIITitle(t *testing.T) {
	srv := serve(t, reply{status: 200})
	ev := page()
	ev.Incident.Title = "Kasse gestört — 支払い 🚨 =?utf-8?q?x?= " + strings.Repeat("ü", 80)
	if _, err := (&Ntfy{Client: srv.Client()}).Send(context.Background(), tocsin.Channel{URL: srv.URL},
		notification(t, ev)); err != nil {
		t.Fatal(err)
	}
	raw := srv.only(t).Header.Get("Title")
	for i := 0; i < len(raw); i++ {
		if raw[i] < ' ' || raw[i] > '~' {
			t.Fatalf("Title header is not printable ASCII: %q", raw)
		}
	}
	for _, w := range strings.Fields(raw) {
		if len(w) > 75 {
			t.Errorf("encoded word of %d characters", len(w))
		}
	}
	// ntfy decodes the header as mime.WordDecoder does.
	got, err := new(mime.WordDecoder).DecodeHeader(raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[P1] TRIGGERED: [payments] " + ev.Incident.Title; got != want {
		t.Errorf("decoded Title = %q, want %q", got, want)
	}

	// ASCII with "=?" is encoded too, so it arrives literally.
	if v := headerValue("a =?utf-8?q?b?= c"); v == "a =?utf-8?q?b?= c" {
		t.Errorf("=? left as is")
	} else if d, _ := new(mime.WordDecoder).DecodeHeader(v); d != "a =?utf-8?q?b?= c" {
		t.Errorf("decoded %q", d)
	}
}

func TestNtfyActionQuoting(t *testing.T) {
	ev := page()
	ev.Links.Acknowledge = "https://tocsin.example.com/p/ack?a=1,2;b=3"
	m := Render(notification(t, ev).Payload)
	want := `view, Acknowledge, "https://tocsin.example.com/p/ack?a=1,2;b=3"; view, Resolve, ` + resolveURL
	if got := ntfyHeaders(&m)["Actions"]; got != want {
		t.Errorf("Actions = %q, want %q", got, want)
	}
}

func TestNtfyErrorMessage(t *testing.T) {
	srv := serve(t, reply{status: 403, body: `{"code":40301,"http":403,"error":"forbidden","link":"https://ntfy.sh/docs/publish/#authentication"}`})
	retry, err := (&Ntfy{Client: srv.Client()}).Send(context.Background(), tocsin.Channel{URL: srv.URL},
		notification(t, page()))
	if retry || err == nil || err.Error() != "ntfy answered HTTP 403: forbidden" {
		t.Fatalf("Send = %v, %v", retry, err)
	}
}

func TestNtfyBodyLimit(t *testing.T) {
	ev := page()
	ev.Reason = strings.Repeat("支", 3000)
	var alerts []map[string]any
	for range 5 {
		alerts = append(alerts, map[string]any{"summary": strings.Repeat("🚨", 600)})
	}
	ev.Evidence = map[string]any{"alerts": alerts}
	m := Render(notification(t, ev).Payload)
	if b := ntfyBody(&m); len(b) > ntfyBodyMax {
		t.Errorf("body of %d bytes", len(b))
	}
	if b := ntfyBody(&Message{Title: "only a title"}); b != "only a title" {
		t.Errorf("empty body = %q", b)
	}
}
