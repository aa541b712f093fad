package config

import (
	"errors"
	"fmt"
	"math"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tocsinhq/tocsin"
)

// Duration is a time.Duration read from YAML as a Go duration ("90s",
// "1h30m") or with d (days) or w (weeks) units ("1d", "2w", "1d12h"). A day
// is 24 hours: config durations are spans of time, not calendar days.
// Values under one second are rejected; the few fields for which 0 means
// something (services[].group_wait) also take 0.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String prints d the way config files write it.
func (d Duration) String() string { return tocsin.FormatDuration(time.Duration(d)) }

// UnmarshalYAML reads a duration from a YAML scalar.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: must be a duration, got %s", n.Line, describe(n))
	}
	v, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes d in the form UnmarshalYAML reads.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// minDuration is the shortest nonzero duration any config field accepts.
const minDuration = time.Second

// parseDuration parses a Go duration extended with d and w units, and
// rejects values under minDuration. Its errors are ready to show.
func parseDuration(s string) (time.Duration, error) {
	return parseDurationZero(s, false)
}

// parseDurationZero is parseDuration that, if zeroOK, also accepts 0
// ("0s", "0m", or a bare "0").
func parseDurationZero(s string, zeroOK bool) (time.Duration, error) {
	tooShort := fmt.Errorf("must be at least %s, got %s", minDuration, quote(s))
	if zeroOK {
		tooShort = fmt.Errorf("must be 0 or at least %s, got %s", minDuration, quote(s))
	}
	bad := fmt.Errorf("must be a duration like 90s, 1h30m, 1d or 2w, got %s", quote(s))
	rest := s
	neg := false
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	if rest == "" {
		return 0, bad
	}
	if rest == "0" {
		if zeroOK {
			return 0, nil
		}
		return 0, tooShort
	}
	var total time.Duration
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] == '.' || '0' <= rest[i] && rest[i] <= '9') {
			i++
		}
		j := i
		for j < len(rest) && rest[j] != '.' && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		if num == "" {
			return 0, bad
		}
		if unit == "" {
			return 0, fmt.Errorf("must be a duration with a unit, like %ss, got %s", num, quote(s))
		}
		mult := time.Duration(1)
		switch unit {
		case "d":
			unit, mult = "h", 24
		case "w":
			unit, mult = "h", 7*24
		}
		part, err := time.ParseDuration(num + unit)
		if err != nil {
			return 0, bad
		}
		if part > math.MaxInt64/mult || total > math.MaxInt64-part*mult {
			return 0, errors.New("duration is too large, got " + quote(s))
		}
		total += part * mult
	}
	if neg {
		total = -total
	}
	if total == 0 && zeroOK {
		return 0, nil
	}
	if total < minDuration {
		return 0, tooShort
	}
	return total, nil
}

// ParseDuration reads a duration as config files write it (90s, 5m, 2h,
// 1d), for the API.
func ParseDuration(s string) (time.Duration, error) { return parseDuration(s) }
