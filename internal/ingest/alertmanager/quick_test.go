package alertmanager

import (
	"encoding/json"
	"reflect"
	"testing"
)

// quickSeeds are bodies at the edges of what quickDecode takes.
var quickSeeds = []string{
	`{"version":"4","groupKey":"{}:{a=\"b\"}","alerts":[]}`,
	`{"version":"4","alerts":[{"labels":{},"annotations":{"a":"\u00e9\u2028\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t"}}]}`,
	`{"version":"4","groupKey":"k","alerts":[{"labels":{"a":"1","a":"2"}}]}`,
	`{"version":"4","Version":"5"}`,
	`{"version":"4","VERSION":"5","groupkey":"x"}`,
	`{"version":"4","version":"5"}`,
	`{"alerts":[{"labels":{"a":"1"},"labels":{"b":"2"}}]}`,
	`{"version":null,"alerts":[null]}`,
	`{"truncatedAlerts":0,"x":[1,-2.5e+3,true,false,{"y":{"z":["w"]}},"s\u0000"],"y":{}}`,
	`{"truncatedAlerts":18446744073709551615}`,
	`{"truncatedAlerts":18446744073709551616}`,
	`{"truncatedAlerts":01}`,
	`{"truncatedAlerts":1.0}`,
	`{"truncatedAlerts":-1}`,
	`{"x":01}`,
	`{"x":1.}`,
	`{"x":.5}`,
	`{"x":"\ud800"}`,
	`{"x":"\ud800\u0041"}`,
	`{"x":"\udc00\ud800"}`,
	`{"x":"` + "\xff" + `"}`,
	`{"ſtatus":"firing"}`,
	`{"status":"firing"} `,
	`{"status":"firing"}x`,
	`{"status":"firing",}`,
	` {"alerts" : [ { "status" : "resolved" } , { } ] } `,
	`{"receiver":"a` + "\t" + `b"}`,
	`[]`,
	`null`,
	`{"x":tru}`,
	`{"x":nul}`,
	`{"x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
}

// FuzzQuickDecode holds quickDecode to encoding/json: whatever it takes,
// it decodes exactly as json.Unmarshal does.
func FuzzQuickDecode(f *testing.F) {
	f.Add(readSample(f, "firing"))
	f.Add(readSample(f, "resolved"))
	f.Add([]byte(valid))
	for _, s := range quickSeeds {
		f.Add([]byte(s))
	}
	for _, tc := range badCases(f) {
		if len(tc.body) < 4096 {
			f.Add([]byte(tc.body))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := quickDecode(data)
		if !ok {
			return
		}
		var want Payload
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("quickDecode took %q, which encoding/json refuses: %v", data, err)
		}
		if !reflect.DeepEqual(got, &want) {
			t.Fatalf("quickDecode of %q:\n got %#v\nwant %#v", data, got, &want)
		}
	})
}

// Alertmanager's own bodies take the quick way.
func TestQuickDecodeTakesAlertmanagerBodies(t *testing.T) {
	for _, body := range [][]byte{readSample(t, "firing"), readSample(t, "resolved"), []byte(valid)} {
		got, ok := quickDecode(body)
		if !ok {
			t.Fatalf("quickDecode refused %s", body)
		}
		var want Payload
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, &want) {
			t.Fatalf("got %#v\nwant %#v", got, &want)
		}
	}
}

// BenchmarkDecode compares the two ways into a Payload on Alertmanager's
// firing sample.
func BenchmarkDecode(b *testing.B) {
	body := readSample(b, "firing")
	b.Run("quick", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := quickDecode(body); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var p Payload
			if err := json.Unmarshal(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
