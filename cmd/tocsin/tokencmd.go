package main

// tocsin token create|list|revoke: API tokens of the running server,
// through its API (POST, GET and DELETE /api/v1/tokens), with the server
// and admin token that config reload uses.

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"
)

const tokenUsage = `usage: tocsin token create --name NAME --role viewer|responder|admin [--expires 720h] [--server URL]
       tocsin token list [--server URL]
       tocsin token revoke ID [--server URL]
`

func tokenCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return exitInvalid
	}
	switch args[0] {
	case "create":
		return tokenCreate(args[1:], stdout, stderr)
	case "list":
		return tokenList(args[1:], stdout, stderr)
	case "revoke":
		return tokenRevoke(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "tocsin token: unknown command %q (create, list or revoke)\n", args[0])
	return exitInvalid
}

// apiTokenInfo is a token as GET /api/v1/tokens lists it.
type apiTokenInfo struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	Role         string     `json:"role"`
	Source       string     `json:"source"`
	CreatedAt    *time.Time `json:"created_at"`
	CreatedBy    string     `json:"created_by"`
	ExpiresAt    *time.Time `json:"expires_at"`
	LastUsedAt   *time.Time `json:"last_used_at"`
	LastUsedAddr string     `json:"last_used_addr"`
	RevokedAt    *time.Time `json:"revoked_at"`
	Token        string     `json:"token"`
	Error        string     `json:"error"`
}

func tokenCreate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "name of the token (shown in the audit log as api:NAME)")
	role := fs.String("role", "", "viewer, responder or admin")
	expires := fs.String("expires", "", "how long the token works (720h, 30d, ...); default: until revoked")
	server := fs.String("server", "", "URL of the running server (default $TOCSIN_SERVER, else http://127.0.0.1:8080)")
	if err := fs.Parse(args); err != nil {
		return exitInvalid
	}
	if fs.NArg() > 0 || *name == "" || *role == "" {
		fmt.Fprint(stderr, tokenUsage)
		return exitInvalid
	}
	body := map[string]string{"name": *name, "role": *role}
	if *expires != "" {
		body["expires_in"] = *expires
	}
	var t apiTokenInfo
	status, err := callServer(http.MethodPost, serverURL(*server)+"/api/v1/tokens", body, &t)
	if err != nil {
		fmt.Fprintf(stderr, "tocsin: token create: %v\n", err)
		return exitFailed
	}
	if status != http.StatusCreated {
		return serverRefused(stderr, "token create", status, t.Error)
	}
	expiry := "never expires"
	if t.ExpiresAt != nil {
		expiry = "expires " + t.ExpiresAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(stderr, "token %d %q, role %s, %s; it is shown once, store it now:\n", t.ID, t.Name, t.Role, expiry)
	fmt.Fprintln(stdout, t.Token)
	return exitOK
}

func tokenList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "URL of the running server (default $TOCSIN_SERVER, else http://127.0.0.1:8080)")
	if err := fs.Parse(args); err != nil {
		return exitInvalid
	}
	if fs.NArg() > 0 {
		fmt.Fprint(stderr, tokenUsage)
		return exitInvalid
	}
	var out struct {
		Tokens []apiTokenInfo `json:"tokens"`
		Error  string         `json:"error"`
	}
	status, err := callServer(http.MethodGet, serverURL(*server)+"/api/v1/tokens", nil, &out)
	if err != nil {
		fmt.Fprintf(stderr, "tocsin: token list: %v\n", err)
		return exitFailed
	}
	if status != http.StatusOK {
		return serverRefused(stderr, "token list", status, out.Error)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tSOURCE\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
	for _, t := range out.Tokens {
		id := "-"
		if t.ID != 0 {
			id = fmt.Sprint(t.ID)
		}
		used := stamp(t.LastUsedAt)
		if t.LastUsedAddr != "" {
			used += " from " + t.LastUsedAddr
		}
		created := stamp(t.CreatedAt)
		if t.CreatedBy != "" {
			created += " by " + t.CreatedBy
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, t.Name, t.Role, t.Source, created, stamp(t.ExpiresAt), used,
			stamp(t.RevokedAt))
	}
	tw.Flush()
	return exitOK
}

func tokenRevoke(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token revoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "URL of the running server (default $TOCSIN_SERVER, else http://127.0.0.1:8080)")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return exitInvalid
	}
	if len(rest) != 1 || rest[0] == "" || strings.ContainsAny(rest[0], "/?#") {
		fmt.Fprint(stderr, tokenUsage)
		return exitInvalid
	}
	var t apiTokenInfo
	status, err := callServer(http.MethodDelete, serverURL(*server)+"/api/v1/tokens/"+rest[0], nil, &t)
	if err != nil {
		fmt.Fprintf(stderr, "tocsin: token revoke: %v\n", err)
		return exitFailed
	}
	if status != http.StatusOK {
		return serverRefused(stderr, "token revoke", status, t.Error)
	}
	fmt.Fprintf(stdout, "token %d %q revoked at %s\n", t.ID, t.Name, stamp(t.RevokedAt))
	return exitOK
}

// serverRefused reports a refusal of the server: a bad request is the
// caller's (exit 2), anything else a failure (exit 1).
func serverRefused(stderr io.Writer, what string, status int, msg string) int {
	fmt.Fprintf(stderr, "tocsin: %s: HTTP %d: %s\n", what, status, msg)
	if status == http.StatusBadRequest {
		return exitInvalid
	}
	return exitFailed
}

func stamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
