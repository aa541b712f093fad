package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// testCheckTags: the config's tags reach every check read, a changed list
// is a changed check (its version moves), an unchanged one is not, and an
// untagged check reads an empty list, never nil.
func testCheckTags(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	def := func(tags ...string) CheckDef {
		return CheckDef{Name: "web", Slug: "web", Spec: tocsin.ScheduleSpec{Every: time.Hour}, Grace: time.Minute, Tags: tags}
	}
	sync := func(d CheckDef) SyncResult {
		t.Helper()
		var res SyncResult
		if err := db.Write(ctx, func(tx *Tx) error {
			var err error
			res, err = tx.SyncChecks(ctx, []CheckDef{d})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return res
	}
	read := func(uuid string, want ...string) *tocsin.Check {
		t.Helper()
		byUUID, err := db.CheckByUUID(ctx, uuid)
		if err != nil {
			t.Fatal(err)
		}
		all, err := db.Checks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byID, err := db.CheckByID(ctx, byUUID.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []*tocsin.Check{byUUID, all[0], byID} {
			if c.Tags == nil || !slices.Equal(c.Tags, want) {
				t.Fatalf("tags %#v, want %q", c.Tags, want)
			}
		}
		return byUUID
	}

	res := sync(def("web", "eu", "team:payments"))
	uuid := res.UUIDs["web"]
	first := read(uuid, "web", "eu", "team:payments")

	if res := sync(def("web", "eu", "team:payments")); len(res.Updated) != 0 {
		t.Errorf("the same tags updated the check: %v", res.Updated)
	}
	if res := sync(def("eu", "web")); len(res.Updated) != 1 {
		t.Errorf("changed tags did not update the check: %+v", res)
	}
	if c := read(uuid, "eu", "web"); c.Version == first.Version {
		t.Error("changed tags kept the check's version")
	}
	sync(def())
	read(uuid)

	// A check made through the API keeps its tags too.
	var apiUUID string
	if err := db.Write(ctx, func(tx *Tx) error {
		var err error
		apiUUID, err = tx.CreateCheck(ctx, CheckDef{Name: "api", Slug: "api", Spec: tocsin.ScheduleSpec{Every: time.Hour}, Grace: time.Minute, Tags: []string{"batch"}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if c, err := db.CheckByUUID(ctx, apiUUID); err != nil || !slices.Equal(c.Tags, []string{"batch"}) {
		t.Errorf("API check tags %q, %v", c.Tags, err)
	}
}
