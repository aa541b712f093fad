package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsInvalidData reports whether err is the database refusing a row for
// what it holds: PostgreSQL's data exceptions (class 22: encoding, too
// long, out of range) and integrity violations other than unique and
// foreign keys, SQLite's CHECK, NOT NULL, too big and type mismatch. The
// same row would be refused again, so retrying is pointless: the row's
// sender hears 400, and the rows written beside it are written without
// it. Unique and foreign-key violations are left out: between replicas
// they are races that a retry resolves.
func IsInvalidData(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "22"):
			return true
		case strings.HasPrefix(pgErr.Code, "23"):
			return pgErr.Code != "23505" && pgErr.Code != "23503"
		}
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_TRIGGER, sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH:
			return true
		}
	}
	return false
}

// InvalidDataMessage is what a sender may be told of err, an error for
// which IsInvalidData holds: the database's own words on the row, without
// the statement or the driver's framing.
func InvalidDataMessage(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return sqlite.ErrorCodeString[se.Code()]
	}
	return "the database refused the data"
}
