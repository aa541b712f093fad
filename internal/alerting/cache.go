package alerting

import (
	"encoding/binary"
	"hash/maphash"
	"maps"
	"slices"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/groupcommit"
)

// cacheSize bounds the alerts the processor remembers: enough for every
// alert a busy Alertmanager keeps repeating, small in memory (a hundred
// bytes each).
const cacheSize = 65536

type cacheKey struct{ integration, key string }

// cached is what the processor remembers of a stored alert, to take a
// repeated delivery that changes nothing without reading the row.
type cached struct {
	id         int64
	status     tocsin.AlertStatus
	suppressed string
	incidentID int64
	hash       uint64 // of the content as last stored
}

var hashSeed = maphash.MakeSeed()

// contentHash digests what a delivery says about an alert, its status
// aside: equal hashes mean a repeat that changes nothing.
func contentHash(a *tocsin.Alert) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	str := func(s string) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.WriteString(s)
	}
	sorted := func(m map[string]string) {
		str("map")
		for _, k := range slices.Sorted(maps.Keys(m)) {
			str(k)
			str(m[k])
		}
	}
	str(a.Summary)
	str(a.Source)
	str(a.Severity)
	sorted(a.Labels)
	sorted(a.Annotations)
	str(a.StartsAt.UTC().String())
	str(a.EndsAt.UTC().String())
	str(a.GeneratorURL)
	for _, l := range a.Links {
		str(l.Href)
		str(l.Text)
	}
	str("images")
	for _, im := range a.Images {
		str(im.Src)
		str(im.Href)
		str(im.Alt)
	}
	str(string(a.Details))
	return h.Sum64()
}

// remember records what a transaction stored, to enter the cache once it
// commits.
func (w *work) remember(a *tocsin.AlertRecord) {
	if w.touched == nil {
		w.touched = map[cacheKey]cached{}
	}
	k := cacheKey{a.Integration, a.Key}
	h := w.current.hash
	if k != w.current.key {
		h = contentHash(&a.Alert)
	}
	w.touched[k] = cached{id: a.ID, status: a.Status, suppressed: a.Suppressed, incidentID: a.IncidentID, hash: h}
}

// settle applies a transaction's outcome to the cache: what it stored if
// it committed, and forgets what it touched if it did not.
func (p *Processor) settle(w *work, committed bool) {
	if w == nil {
		return
	}
	if committed {
		p.cache.Commit(w.touched)
	} else {
		groupcommit.ForgetAll(p.cache, w.touched)
	}
}
