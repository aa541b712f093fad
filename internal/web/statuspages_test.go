package web

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin/internal/statuspage"
)

// TestStatusPageShapes: the shapes apiDocs describes the status pages'
// management API with are those internal/statuspage answers and reads,
// field by field, so that openapi.json cannot drift from them.
func TestStatusPageShapes(t *testing.T) {
	for _, pair := range [][2]reflect.Type{
		{reflect.TypeFor[statusPageJSON](), reflect.TypeFor[statuspage.APIPage]()},
		{reflect.TypeFor[statusPageDetailJSON](), reflect.TypeFor[statuspage.APIPageDetail]()},
		{reflect.TypeFor[statusComponentJSON](), reflect.TypeFor[statuspage.APIComponent]()},
		{reflect.TypeFor[statusIncidentJSON](), reflect.TypeFor[statuspage.APIIncident]()},
		{reflect.TypeFor[statusNewIncidentJSON](), reflect.TypeFor[statuspage.APINewIncident]()},
		{reflect.TypeFor[statusNewUpdateJSON](), reflect.TypeFor[statuspage.APINewUpdate]()},
		{reflect.TypeFor[statusIncidentChangeJSON](), reflect.TypeFor[statuspage.APIIncidentChange]()},
		{reflect.TypeFor[statusOverrideRequestJSON](), reflect.TypeFor[statuspage.APIOverrideRequest]()},
		{reflect.TypeFor[statusNewMaintenanceJSON](), reflect.TypeFor[statuspage.APINewMaintenance]()},
		{reflect.TypeFor[statusMaintenanceChangeJSON](), reflect.TypeFor[statuspage.APIMaintenanceChange]()},
		{reflect.TypeFor[statusCancelJSON](), reflect.TypeFor[statuspage.APICancel]()},
		{reflect.TypeFor[statusSubscriberJSON](), reflect.TypeFor[statuspage.APISubscriber]()},
		{reflect.TypeFor[statusNewSubscriberJSON](), reflect.TypeFor[statuspage.APINewSubscriber]()},
	} {
		if mirror, real := jsonShape(pair[0]), jsonShape(pair[1]); mirror != real {
			t.Errorf("%s describes\n\t%s\nbut %s is\n\t%s", pair[0], mirror, pair[1], real)
		}
	}
}

// jsonShape writes t as encoding/json sees it: each field's JSON name,
// whether it may be left out, and its shape.
func jsonShape(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + jsonShape(t.Elem())
	case reflect.Slice:
		return "[]" + jsonShape(t.Elem())
	case reflect.Struct:
		if t.PkgPath() == "time" {
			return t.String()
		}
		var fields []string
		structFields(t, &fields)
		slices.Sort(fields)
		return "{" + strings.Join(fields, ", ") + "}"
	}
	return t.Kind().String()
}

func structFields(t reflect.Type, out *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			structFields(f.Type, out)
			continue
		}
		*out = append(*out, fmt.Sprintf("%s%s: %s", name, map[bool]string{true: "?"}[opts == "omitempty"], jsonShape(f.Type)))
	}
}
