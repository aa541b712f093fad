package pagerduty

import (
	"encoding/json"
	"net/http"
)

// success is PagerDuty's answer to an accepted event; clients read the
// dedup key from it to acknowledge or resolve later.
type success struct {
	Status   string `json:"status"`
	Message  string `json:"message"`
	DedupKey string `json:"dedup_key"`
}

// invalid is PagerDuty's answer to an event it refuses.
type invalid struct {
	Status  string   `json:"status"`
	Message string   `json:"message"`
	Errors  []string `json:"errors"`
}

// Accepted answers 202 with the key the event was filed under.
func Accepted(w http.ResponseWriter, dedupKey string) {
	write(w, http.StatusAccepted, success{
		Status:   "success",
		Message:  "Event processed",
		DedupKey: dedupKey,
	})
}

// Invalid answers 400 with the list of problems, as Parse's
// *InvalidError holds them.
func Invalid(w http.ResponseWriter, errs []string) {
	if errs == nil {
		errs = []string{} // an empty list, never null
	}
	write(w, http.StatusBadRequest, invalid{
		Status:  "invalid event",
		Message: "Event object is invalid",
		Errors:  errs,
	})
}

func write(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	// The client may be gone; there is no one left to tell.
	_ = json.NewEncoder(w).Encode(v)
}
