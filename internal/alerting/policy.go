// Package alerting turns alerts pushed by other tools into incidents: it
// routes each alert to a service, keeps silenced alerts quiet, attaches
// inhibited alerts (symptoms) to the incident of the alert that inhibits them
// (the cause), gathers the rest into one incident per group of the service,
// waits group_wait before the first page, and resolves the incident when its
// alerts resolve. All of it runs on one goroutine, so that two deliveries of
// one alert never race, and every decision is committed before the sender
// hears OK. The escalation steps after the first page are package
// escalation's stage.
//
// One file per concern: routing.go, silencing.go, inhibition.go and
// grouping.go (group keys, joins, group_wait, resolution when a group is
// quiet) decide; firstpage.go pages a group once its wait is over;
// apply.go takes each alert of a delivery through them, in a transaction
// whose state is work.go's.
package alerting

import (
	"time"

	"github.com/tocsinhq/tocsin/internal/escalation"
)

// Service is where routed alerts go.
type Service struct {
	Name             string
	Notify           []string // channels
	GroupBy          []string // empty: every alert is its own incident
	GroupWait        time.Duration
	EscalationPolicy string // people paged through it after the first page; "" for channels only
	Team             string
}

// Policy is the routing, grouping and inhibition config, swapped whole on
// reload.
type Policy struct {
	Services  map[string]Service
	Routes    []Route
	Inhibit   []InhibitRule
	Directory *escalation.Directory // users, schedules and policies; nil: none
}
