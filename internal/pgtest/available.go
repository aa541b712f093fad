package pgtest

import (
	"errors"
	"os"
	"os/user"
)

// Available says why Start would skip, or nil when it can run a server:
// for tests that run on SQLite regardless and add PostgreSQL when they can.
func Available() error {
	if _, err := binDir(); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			return errors.New("running as root and there is no postgres user to run the server as")
		}
	}
	return nil
}
