package web

import (
	"reflect"
	"testing"
)

// TestServerTakesNoFuncs: Server's dependencies are values and small
// interfaces (Snapshots, Actions, Alerts), so that what the handlers may
// ask of the rest of Tocsin is declared in one place, not handed over as
// one closure per need.
func TestServerTakesNoFuncs(t *testing.T) {
	typ := reflect.TypeFor[Server]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.IsExported() && f.Type.Kind() == reflect.Func {
			t.Errorf("Server.%s is a func (%s): add a method to Actions instead", f.Name, f.Type)
		}
	}
}
