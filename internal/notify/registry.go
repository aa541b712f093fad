package notify

import (
	"cmp"
	"slices"

	"github.com/tocsinhq/tocsin/internal/notify/chat"
	"github.com/tocsinhq/tocsin/internal/notify/email"
	"github.com/tocsinhq/tocsin/internal/notify/kind"
	"github.com/tocsinhq/tocsin/internal/notify/webhook"
)

// kinds is the one list of channel types, in the order messages list them.
// A new type is a package with a kind.Kind and one line here.
var kinds = []kind.Kind{
	webhook.Kind{},
	chat.SlackKind,
	chat.DiscordKind,
	chat.TeamsKind,
	chat.NtfyKind,
	chat.TelegramKind,
	email.Kind{},
}

// Kinds returns every channel type, in registry order.
func Kinds() []kind.Kind { return slices.Clone(kinds) }

// Lookup returns the channel type named name.
func Lookup(name string) (kind.Kind, bool) {
	for _, k := range kinds {
		if k.Spec().Name == name {
			return k, true
		}
	}
	return nil, false
}

// Names lists the channel types, in registry order.
func Names() []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.Spec().Name
	}
	return names
}

// ContactNames lists the types a user's contact may have, ordered by
// kind.Spec.ContactRank.
func ContactNames() []string {
	ks := slices.DeleteFunc(slices.Clone(kinds), func(k kind.Kind) bool { return k.Spec().ContactHint == "" })
	slices.SortStableFunc(ks, func(a, b kind.Kind) int { return cmp.Compare(a.Spec().ContactRank, b.Spec().ContactRank) })
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.Spec().Name
	}
	return names
}

// LookupContact returns the channel type named name if a user's contact
// may have it.
func LookupContact(name string) (kind.Kind, bool) {
	k, ok := Lookup(name)
	if !ok || k.Spec().ContactHint == "" {
		return nil, false
	}
	return k, true
}

// Describe says how a contact of type typ is reached, for timelines; just
// the type when it is unknown.
func Describe(typ, to string) string {
	if k, ok := Lookup(typ); ok {
		return k.Spec().Describe(to)
	}
	return typ
}
