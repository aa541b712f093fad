package email

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
)

// renderText is the text/plain part.
func renderText(v *view) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	field := func(name, value string) {
		if value != "" {
			line("%-9s %s", name+":", value)
		}
	}
	line("%s", v.Subject)
	line("")
	if v.Incident > 0 {
		field("Incident", "#"+strconv.FormatInt(v.Incident, 10)+" "+v.Title)
	} else {
		field("Title", v.Title)
	}
	field("Status", v.Status)
	field("Service", v.Service)
	field("Priority", v.Priority)
	field("Opened", v.OpenedAt)
	if v.Actor != "" {
		field("By", v.Actor)
	}
	if v.Reason != "" {
		line("")
		line("Reason: %s", v.Reason)
	}
	if v.Message != "" && v.Message != v.Title {
		line("")
		line("%s", v.Message)
	}
	if p := v.Page; p != nil {
		line("")
		line("%s", pageSentence(p))
	}
	if c := v.Check; c != nil {
		line("")
		line("Check %s: %s, last ping %s", c.Name, c.State, c.LastPing)
		if c.Runbook != "" {
			line("Runbook: %s", c.Runbook)
		}
		if c.Output != "" {
			line("")
			line("Output of the failed ping:")
			line("%s", c.Output)
		}
	}
	if len(v.Alerts) > 0 {
		line("")
		line("%s:", alertsHeading(v))
		for _, a := range v.Alerts {
			line("")
			if a.Severity != "" {
				line("- [%s] %s", a.Severity, a.Summary)
			} else {
				line("- %s", a.Summary)
			}
			if a.Source != "" {
				line("  source: %s", a.Source)
			}
			if a.StartsAt != "" {
				line("  since: %s", a.StartsAt)
			}
			if len(a.Labels) > 0 {
				parts := make([]string, 0, len(a.Labels))
				for _, l := range a.Labels {
					parts = append(parts, l.Name+"="+l.Value)
				}
				more := ""
				if a.MoreLabels > 0 {
					more = fmt.Sprintf(" (+%d more)", a.MoreLabels)
				}
				line("  labels: %s%s", strings.Join(parts, ", "), more)
			}
			for _, l := range a.Links {
				if l.Text != l.Href {
					line("  %s: %s", l.Text, l.Href)
				} else {
					line("  %s", l.Href)
				}
			}
			for _, im := range a.Images {
				if im.Href != "" {
					line("  image %s: %s (links to %s)", im.Text, im.Src, im.Href)
				} else {
					line("  image %s: %s", im.Text, im.Src)
				}
			}
		}
	} else if v.AlertsTotal > 0 {
		line("")
		line("%s.", alertsHeading(v))
	}
	if v.Evidence != "" {
		line("")
		line("Evidence:")
		line("%s", v.Evidence)
	}
	if v.Ack != "" || v.Resolve != "" || v.IncidentURL != "" {
		line("")
		if v.Ack != "" {
			line("Acknowledge: %s", v.Ack)
		}
		if v.Resolve != "" {
			line("Resolve:     %s", v.Resolve)
		}
		if v.IncidentURL != "" {
			line("Incident:    %s", v.IncidentURL)
		}
	}
	line("")
	line("-- ")
	line("Sent by Tocsin.")
	return b.String()
}

func pageSentence(p *pageView) string {
	who := p.Recipient
	if who == "" {
		who = "you"
	}
	s := "Paging " + who
	if p.Policy != "" || p.Level > 0 {
		s += fmt.Sprintf(": level %d, round %d of escalation policy %s", p.Level, p.Round, p.Policy)
	}
	if p.Why != "" {
		s += " (" + p.Why + ")"
	}
	return s + "."
}

func alertsHeading(v *view) string {
	switch {
	case v.AlertsTotal > len(v.Alerts) && len(v.Alerts) > 0:
		return fmt.Sprintf("Alerts (%d of %d)", len(v.Alerts), v.AlertsTotal)
	case len(v.Alerts) == 0:
		return fmt.Sprintf("%d alerts, none shown", v.AlertsTotal)
	case len(v.Alerts) == 1:
		return "Alert"
	}
	return fmt.Sprintf("Alerts (%d)", len(v.Alerts))
}

// renderHTML is the text/html part. html/template escapes every value by
// its context; links that are not http, https or mailto become #ZgotmplZ.
func renderHTML(v *view) (string, error) {
	var b strings.Builder
	if err := htmlTemplate.Execute(&b, v); err != nil {
		return "", fmt.Errorf("email: render html: %w", err)
	}
	return b.String(), nil
}

var htmlTemplate = template.Must(template.New("email").Funcs(template.FuncMap{
	"page":   pageSentence,
	"alerts": alertsHeading,
}).Parse(`<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Subject}}</title>
</head>
<body style="margin:0;padding:0;background:#f4f4f5;color:#18181b;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:15px;line-height:1.45">
<div style="max-width:640px;margin:0 auto;padding:24px 16px">
<div style="background:#ffffff;border-radius:8px;border-top:4px solid {{.Accent}};padding:20px 24px">
<p style="margin:0 0 6px;font-size:13px;font-weight:bold;letter-spacing:.04em;color:{{.Accent}}">{{.EventWord}}{{if .Priority}} &middot; {{.Priority}}{{end}}{{if .Service}} &middot; {{.Service}}{{end}}</p>
<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3">{{.Title}}</h1>
{{- if .Reason}}
<p style="margin:0 0 12px;white-space:pre-wrap">{{.Reason}}</p>
{{- end}}
{{- if and .Message (ne .Message .Title)}}
<p style="margin:0 0 12px;white-space:pre-wrap">{{.Message}}</p>
{{- end}}
{{- with .Page}}
<p style="margin:0 0 12px;padding:10px 12px;background:#fef2f2;border-radius:6px">{{page .}}</p>
{{- end}}
{{- if or .Ack .Resolve}}
<p style="margin:16px 0">
{{- if .Ack}}
<a href="{{.Ack}}" style="display:inline-block;margin:0 8px 8px 0;padding:10px 18px;background:#b91c1c;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold">Acknowledge</a>
{{- end}}
{{- if .Resolve}}
<a href="{{.Resolve}}" style="display:inline-block;margin:0 8px 8px 0;padding:10px 18px;background:#15803d;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold">Resolve</a>
{{- end}}
</p>
{{- end}}
<table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse;margin:0 0 12px;font-size:14px">
{{- if .Incident}}
<tr><td style="padding:2px 12px 2px 0;color:#71717a">Incident</td><td>#{{.Incident}}</td></tr>
{{- end}}
{{- if .Status}}
<tr><td style="padding:2px 12px 2px 0;color:#71717a">Status</td><td>{{.Status}}</td></tr>
{{- end}}
{{- if .Service}}
<tr><td style="padding:2px 12px 2px 0;color:#71717a">Service</td><td>{{.Service}}</td></tr>
{{- end}}
{{- if .Priority}}
<tr><td style="padding:2px 12px 2px 0;color:#71717a">Priority</td><td>{{.Priority}}</td></tr>
{{- end}}
{{- if .OpenedAt}}
<tr><td style="padding:2px 12px 2px 0;color:#71717a">Opened</td><td>{{.OpenedAt}}</td></tr>
{{- end}}
{{- if .Actor}}
<tr><td style="padding:2px 12px 2px 0;color:#71717a">By</td><td>{{.Actor}}</td></tr>
{{- end}}
</table>
{{- with .Check}}
<p style="margin:0 0 12px">Check <b>{{.Name}}</b>: {{.State}}, last ping {{.LastPing}}{{if .Runbook}} &middot; <a href="{{.Runbook}}">Runbook</a>{{end}}</p>
{{- if .Output}}
<h2 style="margin:20px 0 8px;font-size:16px">Output of the failed ping</h2>
<pre style="margin:0 0 12px;padding:8px 12px;background:#f4f4f5;border-radius:6px;font-size:12px;white-space:pre-wrap;word-break:break-word">{{.Output}}</pre>
{{- end}}
{{- end}}
{{- if .Alerts}}
<h2 style="margin:20px 0 8px;font-size:16px">{{alerts .}}</h2>
{{- range .Alerts}}
<div style="margin:0 0 10px;padding:8px 12px;border-left:3px solid #d4d4d8">
<div>{{if .Severity}}<b>[{{.Severity}}]</b> {{end}}{{.Summary}}</div>
{{- if or .Source .StartsAt}}
<div style="font-size:13px;color:#52525b">{{if .Source}}{{.Source}}{{end}}{{if and .Source .StartsAt}} &middot; {{end}}{{if .StartsAt}}since {{.StartsAt}}{{end}}</div>
{{- end}}
{{- if .Labels}}
<div style="font-size:13px;color:#52525b">{{range $i, $l := .Labels}}{{if $i}}, {{end}}<code>{{$l.Name}}={{$l.Value}}</code>{{end}}{{if .MoreLabels}} (+{{.MoreLabels}} more){{end}}</div>
{{- end}}
{{- if .Links}}
<div style="font-size:13px">{{range $i, $l := .Links}}{{if $i}} &middot; {{end}}<a href="{{$l.Href}}">{{$l.Text}}</a>{{end}}</div>
{{- end}}
{{- if .Images}}
<div style="font-size:13px">Images: {{range $i, $m := .Images}}{{if $i}} &middot; {{end}}<a href="{{$m.Src}}">{{$m.Text}}</a>{{if $m.Href}} (<a href="{{$m.Href}}">link</a>){{end}}{{end}}</div>
{{- end}}
</div>
{{- end}}
{{- else if .AlertsTotal}}
<p style="margin:0 0 12px">{{alerts .}}.</p>
{{- end}}
{{- if .Evidence}}
<h2 style="margin:20px 0 8px;font-size:16px">Evidence</h2>
<pre style="margin:0 0 12px;padding:8px 12px;background:#f4f4f5;border-radius:6px;font-size:12px;white-space:pre-wrap;word-break:break-word">{{.Evidence}}</pre>
{{- end}}
{{- if .IncidentURL}}
<p style="margin:16px 0 0"><a href="{{.IncidentURL}}" style="color:#1d4ed8">Open the incident in Tocsin</a></p>
{{- end}}
</div>
<p style="margin:12px 0 0;font-size:12px;color:#71717a;text-align:center">Sent by Tocsin{{if or .Ack .Resolve}}. The buttons are signed for this page and expire.{{end}}</p>
</div>
</body>
</html>
`))
