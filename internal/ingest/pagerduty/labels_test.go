package pagerduty

import (
	"slices"
	"testing"

	"github.com/tocsinhq/tocsin/internal/config"
)

// TestLabelsKnownToConfig: config check warns about grouping by labels a
// PagerDuty event cannot carry; its list must be exactly the labels an
// event gets here.
func TestLabelsKnownToConfig(t *testing.T) {
	var got []string
	for name := range parse(t, fullTrigger).Alert(noKey).Labels {
		got = append(got, name)
	}
	slices.Sort(got)
	want := slices.Clone(config.PagerDutyLabels)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("an event's labels %q, config.PagerDutyLabels %q", got, want)
	}
}
