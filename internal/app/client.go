package app

import (
	"net/http"
	"time"

	"github.com/tocsinhq/tocsin/internal/notify/outbound"
)

// httpClient is the client that sends notifications and the
// self-heartbeat: c, or a default one, never following a redirect.
func httpClient(c *http.Client) *http.Client {
	if c == nil {
		c = &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 16,
			IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second}}
	}
	return outbound.NoRedirects(c)
}
