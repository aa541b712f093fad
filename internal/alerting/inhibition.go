package alerting

import (
	"fmt"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/labels"
	"github.com/tocsinhq/tocsin/internal/store"
)

// InhibitRule keeps target alerts from paging while a source alert with the
// same values of the Equal labels fires.
type InhibitRule struct {
	Source labels.Set
	Target labels.Set
	Equal  []string
}

// isSource reports whether an alert with these labels can inhibit others.
func (p *Policy) isSource(lbls map[string]string) bool {
	for i := range p.Inhibit {
		if p.Inhibit[i].Source.Matches(lbls) {
			return true
		}
	}
	return false
}

// inhibits reports whether rule r lets an alert with the source labels
// inhibit one with the target labels.
func (r *InhibitRule) inhibits(source, target map[string]string) bool {
	if !r.Source.Matches(source) || !r.Target.Matches(target) {
		return false
	}
	for _, name := range r.Equal {
		if source[name] != target[name] {
			return false
		}
	}
	return true
}

// inhibitor returns a firing alert that inhibits a, or nil. An alert
// that is itself inhibited inhibits nothing, so two rules cannot silence
// each other's alerts both ways.
func (w *work) inhibitor(a *tocsin.AlertRecord) (*store.AlertRef, error) {
	var rules []*InhibitRule
	for i := range w.policy.Inhibit {
		if r := &w.policy.Inhibit[i]; r.Target.Matches(a.Labels) {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return nil, nil
	}
	if w.sourcesByID == nil {
		refs, err := w.tx.FiringAlertRefs(w.ctx)
		if err != nil {
			return nil, err
		}
		w.sourcesByID = map[int64]*store.AlertRef{}
		for _, r := range refs {
			if w.policy.isSource(r.Labels) {
				w.sources = append(w.sources, r)
				w.sourcesByID[r.ID] = r
			}
		}
	}
	for _, src := range w.sources {
		if src.ID == a.ID || src.Suppressed == tocsin.SuppressedInhibit {
			continue
		}
		for _, r := range rules {
			if r.inhibits(src.Labels, a.Labels) {
				return src, nil
			}
		}
	}
	return nil, nil
}

// inhibit attaches a to the incident of the alert that inhibits it: the
// symptom is shown with its cause and pages nobody. Alerts that a held
// are taken again: an inhibited alert inhibits nothing.
func (w *work) inhibit(a *tocsin.AlertRecord, src *store.AlertRef) error {
	a.Suppressed, a.SuppressorID, a.IncidentID, a.GroupKey = tocsin.SuppressedInhibit, src.ID, src.IncidentID, ""
	w.out.Inhibited++
	if err := w.save(a); err != nil {
		return err
	}
	if src.IncidentID != 0 {
		if err := incident.Note(w.ctx, w.tx, src.IncidentID, w.now, tocsin.TimelineAlertSuppressed,
			fmt.Sprintf("Alert attached, not paged: %s is inhibited by %s", a.Summary, src.Summary), alertData(a)); err != nil {
			return err
		}
	}
	return w.release(a, "the alert inhibiting it is now inhibited itself: "+a.Summary)
}

// release takes again the alerts that a held by inhibition.
func (w *work) release(a *tocsin.AlertRecord, why string) error {
	held, err := w.tx.AlertsSuppressedBy(w.ctx, tocsin.SuppressedInhibit, a.ID)
	if err != nil {
		return err
	}
	for _, t := range held {
		if err := w.reevaluate(t, why); err != nil {
			return err
		}
	}
	return nil
}

// recheckInhibited takes again the alerts whose inhibition the current
// rules no longer support.
func (w *work) recheckInhibited() error {
	held, err := w.tx.InhibitedAlerts(w.ctx)
	if err != nil {
		return err
	}
	for _, a := range held {
		src, err := w.inhibitor(a)
		if err != nil {
			return err
		}
		if src != nil {
			continue // still inhibited (perhaps by another alert now)
		}
		if err := w.reevaluate(a, "the inhibition rules changed"); err != nil {
			return err
		}
	}
	return nil
}
