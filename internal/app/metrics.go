package app

import "github.com/tocsinhq/tocsin/internal/config"

// channelNames lists the channels of cfg, whose send series the metrics
// show from the start.
func channelNames(cfg *config.Config) []string {
	names := make([]string, 0, len(cfg.Channels))
	for _, ch := range cfg.Channels {
		names = append(names, ch.Name)
	}
	return names
}
