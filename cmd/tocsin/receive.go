package main

import (
	"context"
	"crypto/hmac"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/tocsinhq/tocsin/internal/notify/webhook"
)

// receive runs a webhook receiver that prints each notification and checks
// its signature: for trying Tocsin out and for debugging a receiver.
func receive(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("receive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:9999", "address to listen on")
	secret := fs.String("secret", "", "channel secret, to verify Tocsin-Signature")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var mu sync.Mutex
	srv := &http.Server{Addr: *listen, ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		verdict := "unsigned"
		if sig := r.Header.Get("Tocsin-Signature"); sig != "" {
			verdict = "signature not checked (no --secret)"
			if *secret != "" {
				verdict = "signature OK"
				if !hmac.Equal([]byte(sig), []byte(webhook.Sign(*secret, body))) {
					verdict = "signature MISMATCH"
				}
			}
		}
		mu.Lock()
		fmt.Fprintf(stdout, "%s %s %s (%s)\n%s\n\n", r.Method, r.URL.Path, r.Header.Get("Tocsin-Event"), verdict, body)
		mu.Unlock()
		if verdict == "signature MISMATCH" {
			http.Error(w, "bad signature", http.StatusUnauthorized)
		}
	})}
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
