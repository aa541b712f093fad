package ui

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// configEventsShown is how many of the latest config applies and refusals
// the config page lists.
const configEventsShown = 10

// configView is the config page's data.
type configView struct {
	File, PublicURL string   // PublicURL as the file sets it
	LinkBase        string   // the base of links Tocsin sends
	Warnings        []string // of the running config: "file:line: path: text"
	Checks          int
	Channels        int
	Integrations    int
	Users           int
	Last            *configEvent // the latest apply or refusal; nil: none recorded
	Events          []configEvent
	Shown           int
	Refused         *reloadRefusal // the reload just asked for, refused; nil: none
}

// configEvent is an apply or a refusal of a config, from the audit log.
type configEvent struct {
	store.AuditEntry
	Result   string   // applied or refused
	Why      string   // startup or reload, of an apply
	Problems []string // why a file that does not load was refused: "file:line: path: text" each
	Details  configEventData
}

// configEventData is what Tocsin's audit entries of configs hold.
type configEventData struct {
	File        string           `json:"file"`
	Forced      bool             `json:"forced"`
	Reason      string           `json:"reason"`
	Findings    []config.Finding `json:"findings"`
	Created     []string         `json:"created"`
	Updated     []string         `json:"updated"`
	Removed     []string         `json:"removed"`
	WouldCreate []string         `json:"would_create"`
	WouldRemove []string         `json:"would_remove"`
	Warnings    []string         `json:"warnings"`
}

// loadFailure begins the reason of a refused file that does not load.
const loadFailure = "it does not load: "

// adminConfigPage shows the running config's file and warnings, how the
// latest reloads went (what a refusal found wrong, with file:line), and a
// Reload button.
func (u *UI) adminConfigPage(w http.ResponseWriter, r *http.Request) {
	v, err := u.configView(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.renderAdmin(w, r, http.StatusOK, "config", "Config", v)
}

func (u *UI) configView(r *http.Request) (configView, error) {
	snap := u.srv.Snapshots.Load()
	cfg := snap.Config
	v := configView{File: cfg.File, PublicURL: cfg.PublicURL, LinkBase: snap.Env.PublicURL, Warnings: cfg.Warnings, Checks: len(cfg.Checks),
		Channels: len(cfg.Channels), Integrations: len(cfg.Integrations), Users: len(cfg.Users), Shown: configEventsShown}
	entries, err := u.srv.DB.AuditLog(r.Context(), store.AuditFilter{Action: "config", Limit: configEventsShown})
	if err != nil {
		return v, err
	}
	for _, e := range entries {
		ev := configEvent{AuditEntry: e, Result: "applied"}
		if e.Action == "config.refused" {
			ev.Result = "refused"
		} else {
			ev.Why = strings.TrimPrefix(e.Action, "config.")
		}
		if len(e.Data) > 0 {
			if err := json.Unmarshal(e.Data, &ev.Details); err != nil {
				u.srv.Log.Warn("config audit entry unreadable", "audit_id", e.ID, "err", err)
			}
		}
		if why, ok := strings.CutPrefix(ev.Details.Reason, loadFailure); ok {
			ev.Problems = strings.Split(why, "\n")
		}
		v.Events = append(v.Events, ev)
	}
	if len(v.Events) > 0 {
		v.Last = &v.Events[0]
	}
	return v, nil
}

// reloadRefusal is why the reload just asked for was refused.
type reloadRefusal struct {
	Guard    bool             // the reload guard refused it; else the file does not load
	Problems []string         // the file's problems, "file:line: path: text" each, or the guard's message
	Findings []config.Finding // the guard's findings
}

// reloadConfig reloads the config file through the server's ReloadConfig,
// the API's own call. Applied, it shows the config page again, which
// says so; refused, the page with why (the file's problems with
// file:line, or the reload guard's findings) and the running config,
// unchanged.
func (u *UI) reloadConfig(w http.ResponseWriter, r *http.Request) {
	res, err := u.srv.ReloadConfig(r, false)
	if err == nil {
		done(w, r, "/admin/config", "config-applied")
		return
	}
	v, verr := u.configView(r)
	if verr != nil {
		u.fail(w, r, verr)
		return
	}
	status := http.StatusBadRequest // the file does not load
	v.Refused = &reloadRefusal{Problems: strings.Split(err.Error(), "\n"), Findings: res.Findings}
	if tocsin.ErrorCode(err) == tocsin.EConflict {
		status, v.Refused.Guard = http.StatusConflict, true
	}
	u.renderAdmin(w, r, status, "config", "Config", v)
}
