package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
)

func telegramSender(srv *server) *Telegram {
	return &Telegram{Client: srv.Client(), UserAgent: "Tocsin/1.2.3", APIBase: srv.URL + "/", Token: telegramToken}
}

var telegramCh = tocsin.Channel{Type: "telegram", URL: "-1001234567890"}

func TestTelegramRequest(t *testing.T) {
	srv := serve(t, reply{status: 200, body: `{"ok":true,"result":{"message_id":5}}`})
	if retry, err := telegramSender(srv).Send(context.Background(), telegramCh, notification(t, page())); err != nil || retry {
		t.Fatalf("Send = %v, %v", retry, err)
	}
	r := srv.only(t)
	if r.Method != "POST" || r.Path != "/bot"+telegramToken+"/sendMessage" ||
		r.Header.Get("Content-Type") != "application/json" || r.Header.Get("User-Agent") != "Tocsin/1.2.3" {
		t.Errorf("request %s %s %v", r.Method, r.Path, r.Header)
	}
	var got any
	json.Unmarshal(r.Body, &got)
	want := map[string]any{
		"chat_id":    "-1001234567890",
		"parse_mode": "HTML",
		"text": "<b>[P1] TRIGGERED: [payments] checkout down</b>\n\n" +
			"<b>Reason:</b> not acknowledged in time\n" +
			"<b>Paging:</b> ana: on call in schedule primary (policy default, level 1, round 1)\n" +
			"<b>Alerts:</b> 2\n• [critical] error rate 12%\n• [warning] SlowCheckout\n" +
			"<b>Service:</b> payments\n<b>Priority:</b> P1",
		"disable_web_page_preview": true,
		"reply_markup": map[string]any{"inline_keyboard": []any{
			[]any{map[string]any{"text": "Acknowledge", "url": ackURL}, map[string]any{"text": "Resolve", "url": resolveURL}},
			[]any{map[string]any{"text": "View incident", "url": incURL}},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		t.Fatalf("body =\n%s", g)
	}
}

func TestTelegramBotReadAtEachSend(t *testing.T) {
	srv := serve(t, reply{status: 200, body: `{"ok":true}`})
	token := "42:first-bot"
	s := &Telegram{Client: srv.Client(), APIBase: "http://127.0.0.1:1", Token: telegramToken,
		Bot: func() TelegramBot { return TelegramBot{APIBase: srv.URL, Token: token} }}
	for _, tok := range []string{"42:first-bot", "43:reloaded-bot"} {
		token = tok
		if _, err := s.Send(context.Background(), telegramCh, notification(t, page())); err != nil {
			t.Fatal(err)
		}
	}
	rs := srv.requests()
	if len(rs) != 2 || rs[0].Path != "/bot42:first-bot/sendMessage" || rs[1].Path != "/bot43:reloaded-bot/sendMessage" {
		t.Errorf("requests %+v", rs)
	}
}

var allowedTag = regexp.MustCompile(`</?b>|<a href="[^"<>]*">|</a>`)

func TestTelegramEscapes(t *testing.T) {
	srv := serve(t, reply{status: 200, body: `{"ok":true}`})
	ev := hostilePage()
	ev.Incident.URL = ""
	ev.Check = nil
	if _, err := telegramSender(srv).Send(context.Background(), telegramCh, notification(t, ev)); err != nil {
		t.Fatal(err)
	}
	var p telegramPayload
	if err := json.Unmarshal(srv.only(t).Body, &p); err != nil {
		t.Fatal(err)
	}
	if rest := allowedTag.ReplaceAllString(p.Text, ""); strings.ContainsAny(rest, "<>") {
		t.Errorf("tags besides ours: %q", rest)
	}
	if !strings.Contains(p.Text, "&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; *bold* _it_") ||
		!strings.Contains(p.Text, "&lt;b&gt;x&lt;/b&gt;") {
		t.Errorf("not escaped: %q", p.Text)
	}
}

func TestTelegramRateLimit(t *testing.T) {
	srv := serve(t, reply{status: 429, body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 12","parameters":{"retry_after":12}}`})
	retry, err := telegramSender(srv).Send(context.Background(), telegramCh, notification(t, page()))
	var ra *tocsin.RetryAfterError
	if !retry || !errors.As(err, &ra) || ra.After != 12*time.Second {
		t.Fatalf("Send = %v, %v; want retry after 12s", retry, err)
	}
	if !strings.Contains(err.Error(), "Too Many Requests") {
		t.Errorf("error %q", err)
	}
}

func TestTelegramRefusals(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		retry  bool
		want   string
	}{
		{400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`, false,
			"telegram answered HTTP 400: Bad Request: chat not found"},
		{403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`, false,
			"telegram answered HTTP 403: Forbidden: bot was blocked by the user"},
		{401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, false, "telegram answered HTTP 401: Unauthorized"},
		{400, `{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1009876}}`,
			false, "telegram answered HTTP 400: Bad Request: group chat was upgraded to a supergroup chat (the group is now chat -1009876: update the channel's chat id)"},
		{500, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`, true,
			"telegram answered HTTP 500: Internal Server Error"},
		{200, `{"ok":false,"description":"odd"}`, false, "telegram answered ok=false: odd"},
	} {
		srv := serve(t, reply{status: c.status, body: c.body})
		retry, err := telegramSender(srv).Send(context.Background(), telegramCh, notification(t, page()))
		if retry != c.retry || err == nil || err.Error() != c.want {
			t.Errorf("HTTP %d %s: Send = %v, %v; want %v, %q", c.status, c.body, retry, err, c.retry, c.want)
		}
	}
}

func TestTelegramButtonURLRefused(t *testing.T) {
	srv := serve(t,
		reply{status: 400, body: `{"ok":false,"error_code":400,"description":"Bad Request: BUTTON_URL_INVALID"}`},
		reply{status: 200, body: `{"ok":true}`})
	if retry, err := telegramSender(srv).Send(context.Background(), telegramCh, notification(t, page())); err != nil || retry {
		t.Fatalf("Send = %v, %v", retry, err)
	}
	rs := srv.requests()
	if len(rs) != 2 {
		t.Fatalf("%d requests, want 2", len(rs))
	}
	second := rs[1].json(t)
	if _, ok := second["reply_markup"]; ok {
		t.Error("second try still has buttons")
	}
	text := second["text"].(string)
	links := `<a href="https://tocsin.example.com/p/ack?t=tok-1&amp;sig=abc">Acknowledge</a> · ` +
		`<a href="https://tocsin.example.com/p/resolve?t=tok-2&amp;sig=def">Resolve</a> · ` +
		`<a href="` + incURL + `">View incident</a>`
	if !strings.HasSuffix(text, "\n\n"+links) {
		t.Errorf("text without buttons = %q", text)
	}
}

// TestTelegramTokenNeverInErrors sends through every failure with the
// token somewhere a careless error would quote it.
func TestTelegramTokenNeverInErrors(t *testing.T) {
	echo := func(status int, format string) *server {
		srv := &server{}
		srv.Server = newEchoServer(t, status, format)
		return srv
	}
	cases := map[string]func(t *testing.T) (*Telegram, context.Context){
		"description echoes the path": func(t *testing.T) (*Telegram, context.Context) {
			return telegramSender(echo(400, `{"ok":false,"error_code":400,"description":"no such bot: %s"}`)), context.Background()
		},
		"plain body echoes the path": func(t *testing.T) (*Telegram, context.Context) {
			return telegramSender(echo(502, "upstream failed for %s")), context.Background()
		},
		"rate limited echoes the path": func(t *testing.T) (*Telegram, context.Context) {
			return telegramSender(echo(429, `{"ok":false,"error_code":429,"description":"%s","parameters":{"retry_after":1}}`)), context.Background()
		},
		"hung": func(t *testing.T) (*Telegram, context.Context) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			t.Cleanup(cancel)
			return &Telegram{Client: &http.Client{}, APIBase: hung(t).URL, Token: telegramToken}, ctx
		},
		"refused": func(t *testing.T) (*Telegram, context.Context) {
			srv := serve(t, reply{status: 200})
			srv.Close()
			return &Telegram{Client: &http.Client{}, APIBase: srv.URL, Token: telegramToken}, context.Background()
		},
		"redirect loop": func(t *testing.T) (*Telegram, context.Context) {
			return &Telegram{Client: &http.Client{}, APIBase: newRedirectServer(t).URL, Token: telegramToken}, context.Background()
		},
		"bad API base": func(t *testing.T) (*Telegram, context.Context) {
			return &Telegram{Client: &http.Client{}, APIBase: "http://[::1", Token: telegramToken}, context.Background()
		},
		"bad header": func(t *testing.T) (*Telegram, context.Context) {
			return telegramSender(serve(t, reply{status: 200})), context.Background()
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			s, ctx := setup(t)
			ch := telegramCh
			if name == "bad header" {
				ch.Headers = map[string]string{"X-Bad": "a\nb"}
			}
			_, err := s.Send(ctx, ch, notification(t, page()))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			checkNoSecret(t, err)
			if !utf8.ValidString(err.Error()) {
				t.Errorf("error %q", err)
			}
		})
	}
}

func TestTelegramBadConfig(t *testing.T) {
	for name, s := range map[string]*Telegram{
		"no token":        {},
		"malformed token": {Token: "123:abc/../x?y"},
	} {
		retry, err := s.Send(context.Background(), telegramCh, notification(t, page()))
		if retry || err == nil || strings.Contains(err.Error(), "abc/") {
			t.Errorf("%s: Send = %v, %v", name, retry, err)
		}
	}
	if retry, err := (&Telegram{Token: telegramToken}).Send(context.Background(), tocsin.Channel{},
		notification(t, page())); retry || err == nil {
		t.Errorf("no chat id: Send = %v, %v", retry, err)
	}
}

func TestTelegramLimit(t *testing.T) {
	ev := page()
	ev.Incident.Title = strings.Repeat("&", 1000)
	ev.Reason = strings.Repeat("<😀>", 1000)
	var alerts []map[string]any
	for range 5 {
		alerts = append(alerts, map[string]any{"summary": strings.Repeat(`"'`, 400)})
	}
	ev.Evidence = map[string]any{"alerts": alerts}
	m := Render(notification(t, ev).Payload)
	for _, buttons := range []bool{true, false} {
		p := telegramMessage(&m, "1", buttons)
		if utf16Len(p.Text) > telegramTextMax || !utf8.ValidString(p.Text) {
			t.Errorf("text of %d units", utf16Len(p.Text))
		}
		if rest := allowedTag.ReplaceAllString(p.Text, ""); strings.ContainsAny(rest, "<>") {
			t.Errorf("broken tags: %q", rest)
		}
	}
}

// newEchoServer answers status with format filled in with the request path
// (which holds the bot token).
func newEchoServer(t *testing.T, status int, format string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		fmt.Fprintf(w, format, r.URL.Path)
	}))
	t.Cleanup(s.Close)
	return s
}

// newRedirectServer redirects every request to itself, until the client
// gives up (quoting the URL, in a url.Error).
func newRedirectServer(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(s.Close)
	return s
}
