package tlsprobe_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
	"github.com/tocsinhq/tocsin/internal/probe/dnsprobe"
	"github.com/tocsinhq/tocsin/internal/probe/tlsprobe"
)

// TestHungPeersDelayOnlyThemselves runs a DNS probe of a server that never
// answers and a TLS probe of a server that never handshakes next to a
// healthy TLS probe: the healthy one finishes first, and the hung ones end
// at their own deadlines.
func TestHungPeersDelayOnlyThemselves(t *testing.T) {
	const hangTimeout = 3 * time.Second

	silentUDP, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silentUDP.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := silentUDP.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	hungDNS, err := dnsprobe.New(dnsprobe.Config{Name: "hang.tocsin.test", Resolver: silentUDP.LocalAddr().String(),
		Timeout: hangTimeout}, realClock{})
	if err != nil {
		t.Fatal(err)
	}
	hungTLS := newProber(t, tlsprobe.Config{Address: serveSilent(t), Timeout: hangTimeout})
	ca := newCA(t)
	healthy := newProber(t, tlsprobe.Config{
		Address: serveTLS(t, ca.leaf(t, time.Now().Add(-day), time.Now().Add(90*day), "127.0.0.1")),
		RootCAs: ca.pool,
		Timeout: healthyTimeout,
	})

	type done struct {
		name    string
		res     probe.Result
		elapsed time.Duration
	}
	finished := make(chan done, 3)
	start := make(chan struct{})
	t0 := time.Now()
	for name, p := range map[string]probe.Prober{"hung dns": hungDNS, "hung tls": hungTLS, "healthy": healthy} {
		go func() {
			<-start
			res := p.Probe(context.Background())
			finished <- done{name, res, time.Since(t0)}
		}()
	}
	close(start)

	first := <-finished
	if first.name != "healthy" || !first.res.OK {
		t.Fatalf("first to finish: %s with %+v, want the healthy probe, OK", first.name, first.res)
	}
	for range 2 {
		d := <-finished
		if d.res.Class != probe.ClassTimeout {
			t.Errorf("%s: got %+v, want class %s", d.name, d.res, probe.ClassTimeout)
		}
		if d.elapsed > hangTimeout+time.Second {
			t.Errorf("%s: took %s, want about %s", d.name, d.elapsed, hangTimeout)
		}
	}
}
