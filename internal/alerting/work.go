package alerting

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
)

// work is one transaction of the processor.
type work struct {
	ctx      context.Context
	tx       *store.Tx
	now      time.Time
	env      incident.Env
	policy   *Policy
	silences *silenceSet

	out          Outcome
	queued       bool      // notifications were queued
	nextPage     time.Time // the earliest first page this transaction scheduled
	nextEscalate time.Time // the earliest escalation step it scheduled (the escalation stage pages it)

	// sources is every firing alert that matches the source matchers of an
	// inhibition rule, loaded once per transaction when a rule needs it and
	// kept current by save: deciding inhibition costs one scan of the
	// firing alerts per transaction, not one per alert.
	sources     []*store.AlertRef
	sourcesByID map[int64]*store.AlertRef
	depth       int // nesting of released alerts taken again, bounded

	cache     map[cacheKey]cached             // the processor's, as of the last commit; read only
	touched   map[cacheKey]cached             // what this transaction stored
	incidents map[int64]*tocsin.Incident      // incidents read in this transaction, by id
	joins     map[int64][]*tocsin.AlertRecord // alerts that joined open incidents, noted at the end
	joinIDs   []int64                         // the incidents of joins, in order
	groups    map[groupRef]*tocsin.Incident   // open incidents of groups, looked up in this transaction
	current   delivered                       // the alert of a delivery being applied
	// known holds the stored alerts of the delivery being applied, read in
	// one query (nil: not stored); save keeps it current.
	known map[cacheKey]*tocsin.AlertRecord
}

// delivered is what the sender's goroutine prepared for the alert being
// applied: its content hash and JSON columns. Records made from that
// alert (record, refresh) have exactly its content, so save uses them.
type delivered struct {
	key  cacheKey
	hash uint64
	enc  *store.AlertJSON
}

// The transaction keeps one copy of each incident it reads, so that a
// change made through one path (a priority raised) is seen by the next
// (an alert joining): two copies saved in turn would undo each other.
// Changes made by package incident, which reads its own copy, are followed
// by forget.

// incident returns an incident by id.
func (w *work) incident(id int64) (*tocsin.Incident, error) {
	if in, ok := w.incidents[id]; ok {
		return in, nil
	}
	in, err := w.tx.IncidentByID(w.ctx, id)
	if err != nil {
		return nil, err
	}
	w.keep(in, groupRef{})
	return in, nil
}

// keep records in (nil: the group has no open incident).
func (w *work) keep(in *tocsin.Incident, ref groupRef) {
	if w.groups == nil {
		w.groups, w.incidents = map[groupRef]*tocsin.Incident{}, map[int64]*tocsin.Incident{}
	}
	if in != nil {
		w.incidents[in.ID] = in
		if in.GroupKey != "" && in.Status != tocsin.IncidentResolved {
			ref = groupRef{in.Service, in.GroupKey}
		}
	}
	if ref != (groupRef{}) {
		w.groups[ref] = in
	}
}

// forget drops an incident changed behind the transaction's copy.
func (w *work) forget(in *tocsin.Incident) {
	delete(w.incidents, in.ID)
	delete(w.groups, groupRef{in.Service, in.GroupKey})
}

// maxDepth bounds chains of alerts released by alerts that became
// inhibited; past it an alert stays held until the next change.
const maxDepth = 8

// save stores a and keeps the inhibition sources and the cache current.
func (w *work) save(a *tocsin.AlertRecord) error {
	k := cacheKey{a.Integration, a.Key}
	var err error
	if k == w.current.key && w.current.enc != nil {
		err = w.tx.SaveEncodedAlert(w.ctx, a, *w.current.enc)
	} else {
		err = w.tx.SaveAlert(w.ctx, a)
	}
	if err != nil {
		return err
	}
	w.stored(a)
	return nil
}

// stored keeps the inhibition sources and the cache current after a was
// written.
func (w *work) stored(a *tocsin.AlertRecord) {
	k := cacheKey{a.Integration, a.Key}
	w.remember(a)
	if _, ok := w.known[k]; ok {
		w.known[k] = a
	}
	if w.sourcesByID == nil {
		return
	}
	ref := w.sourcesByID[a.ID]
	if a.Status == tocsin.AlertResolved || !w.policy.isSource(a.Labels) {
		if ref != nil {
			delete(w.sourcesByID, a.ID)
			w.sources = slices.DeleteFunc(w.sources, func(r *store.AlertRef) bool { return r.ID == a.ID })
		}
		return
	}
	if ref == nil {
		ref = &store.AlertRef{ID: a.ID}
		w.sourcesByID[a.ID] = ref
		// Kept in id order, the order of FiringAlertRefs.
		i, _ := slices.BinarySearchFunc(w.sources, a.ID, func(r *store.AlertRef, id int64) int { return cmp.Compare(r.ID, id) })
		w.sources = slices.Insert(w.sources, i, ref)
	}
	ref.Labels, ref.Suppressed, ref.IncidentID, ref.Summary = a.Labels, a.Suppressed, a.IncidentID, a.Summary
}

// incidentStatus reads an incident's status once per transaction.
func (w *work) incidentStatus(id int64) (tocsin.IncidentStatus, error) {
	in, err := w.incident(id)
	if err != nil {
		return "", err
	}
	return in.Status, nil
}
