package heartbeat

import (
	"strings"

	"github.com/tocsinhq/tocsin"
)

// Classify is what a ping with this body says under the keyword filter f,
// in Healthchecks' order: a failure keyword makes it a failure, else a
// success keyword a success, else a start keyword a start; with none it
// is ignored, or a failure when f.DefaultFail. The body is read as UTF-8,
// bytes that are not becoming U+FFFD, as Healthchecks decodes it.
func Classify(f *tocsin.KeywordFilter, body []byte) tocsin.PingKind {
	text := strings.ToValidUTF8(string(body), "\uFFFD")
	switch {
	case containsAny(text, f.Failure):
		return tocsin.PingFail
	case containsAny(text, f.Success):
		return tocsin.PingSuccess
	case containsAny(text, f.Start):
		return tocsin.PingStart
	case f.DefaultFail:
		return tocsin.PingFail
	}
	return tocsin.PingIgnored
}

func containsAny(text string, keywords []string) bool {
	for _, k := range keywords {
		if k != "" && strings.Contains(text, k) {
			return true
		}
	}
	return false
}
