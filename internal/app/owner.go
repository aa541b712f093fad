package app

import (
	"crypto/rand"
	"fmt"
	"os"
)

// owner names this process in leases and outbox claims.
func owner() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%x", host, os.Getpid(), b)
}
