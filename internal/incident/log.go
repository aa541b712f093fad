package incident

import (
	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Log keys of the incident lines, constant so that log queries can rely on
// them.
const (
	LogIncidentID = "incident_id"
	LogCheck      = "check"
	LogCheckUUID  = "check_uuid"
	LogService    = "service"
	LogGroupKey   = "group_key"
	LogReason     = "reason"
	LogActor      = "actor"
	LogStatus     = "status"
	LogTitle      = "title"
)

// logChange writes one line about a change of incident in once tx has
// committed, so that a rolled-back change is never logged. Opening,
// re-opening and resolving are Info; there are few of them, and each one is
// what an operator looks for first when reading the log of an outage.
func logChange(tx *store.Tx, env Env, msg string, in *tocsin.Incident, c *tocsin.Check, reason, actor string) {
	if env.Log == nil {
		return
	}
	attrs := []any{LogIncidentID, in.ID, LogTitle, in.Title, LogStatus, string(in.Status)}
	switch {
	case c != nil:
		attrs = append(attrs, LogCheck, c.Name, LogCheckUUID, c.UUID)
	case in.Service != "":
		attrs = append(attrs, LogService, in.Service, LogGroupKey, in.GroupKey)
	}
	if reason != "" {
		attrs = append(attrs, LogReason, reason)
	}
	if actor != "" {
		attrs = append(attrs, LogActor, actor)
	}
	log := env.Log
	tx.AfterCommit(func() { log.Info(msg, attrs...) })
}
