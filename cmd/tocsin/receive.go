package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/notify/webhook"
)

// receive runs a webhook receiver that prints each notification and checks
// its signature: for trying Tocsin out and for debugging a receiver.
func receive(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("receive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:9999", "address to listen on")
	secret := fs.String("secret", "", "channel secret: refuse (401) requests without a valid, fresh Tocsin-Signature-V2")
	tolerance := fs.Duration("tolerance", webhook.DefaultTolerance, "how far the signed time may be from this clock, either way")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *tolerance <= 0 {
		fmt.Fprintln(stderr, "tocsin receive: --tolerance must be positive")
		return 2
	}
	srv := &http.Server{Addr: *listen, ReadHeaderTimeout: 10 * time.Second,
		Handler: receiver(*secret, *tolerance, clock.Real{}, stdout)}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	fmt.Fprintf(stderr, "receiving webhooks on http://%s/\n", *listen)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "tocsin receive: %v\n", err)
		return 1
	}
	return 0
}

// receiver prints each request with its verdict. With a secret it answers
// 401 to any request without a valid Tocsin-Signature-V2 signed within
// tolerance of clk: unsigned, tampered, stale (a replay) or signed only
// the old, replayable way. Without one it checks nothing and says so.
func receiver(secret string, tolerance time.Duration, clk clock.Clock, stdout io.Writer) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		verdict, refused := "signature not checked (no --secret)", false
		if secret != "" {
			verdict = "signature OK"
			err := webhook.VerifyV2(secret, r.Header.Get(webhook.SignatureV2Header), body, clk.Now(), tolerance)
			switch {
			case errors.Is(err, webhook.ErrUnsigned) && r.Header.Get(webhook.SignatureHeader) != "":
				verdict, refused = "REFUSED: signed only with the old, replayable Tocsin-Signature", true
			case errors.Is(err, webhook.ErrUnsigned):
				verdict, refused = "REFUSED: unsigned", true
			case err != nil:
				verdict, refused = "REFUSED: "+err.Error(), true
			}
		}
		mu.Lock()
		fmt.Fprintf(stdout, "%s %s %s (%s)\n%s\n\n", r.Method, r.URL.Path, r.Header.Get("Tocsin-Event"), verdict, body)
		mu.Unlock()
		if refused {
			http.Error(w, verdict, http.StatusUnauthorized)
		}
	})
}
