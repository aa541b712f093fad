package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"golang.org/x/term"
)

const userUsage = "usage: tocsin user set-password NAME [--server URL]   (password from the terminal or one line of stdin)\n" +
	"       tocsin user invite NAME [--server URL]         (prints a one-time link to choose a password)\n"

// userCommand manages the logins of config users through the running
// server's API, as an admin (the token in TOCSIN_API_TOKEN or
// TOCSIN_ADMIN_TOKEN).
func userCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, userUsage)
		return exitInvalid
	}
	fs := flag.NewFlagSet("user "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "URL of the running server (default $TOCSIN_SERVER, else http://127.0.0.1:8080)")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return exitInvalid
	}
	if len(pos) != 1 || (args[0] != "set-password" && args[0] != "invite") {
		fmt.Fprint(stderr, userUsage)
		return exitInvalid
	}
	name := pos[0]
	base := serverURL(*server) + "/api/v1/users/" + url.PathEscape(name)
	var answer struct {
		URL       string `json:"url"`
		ExpiresAt string `json:"expires_at"`
		Revoked   int64  `json:"sessions_revoked"`
		Error     string `json:"error"`
	}
	var status int
	if args[0] == "set-password" {
		password, err := readPassword(stdin, stderr, name)
		if err != nil {
			fmt.Fprintf(stderr, "tocsin: %v\n", err)
			return exitInvalid
		}
		body, _ := json.Marshal(map[string]string{"password": password})
		status, err = callAPI(http.MethodPut, base+"/password", body, &answer)
		if err != nil {
			fmt.Fprintf(stderr, "tocsin: set password: %v\n", err)
			return exitFailed
		}
		if status == http.StatusOK {
			fmt.Fprintf(stdout, "password of %s set; %d sessions ended\n", name, answer.Revoked)
			return exitOK
		}
	} else {
		status, err = callAPI(http.MethodPost, base+"/invite", nil, &answer)
		if err != nil {
			fmt.Fprintf(stderr, "tocsin: invite: %v\n", err)
			return exitFailed
		}
		if status == http.StatusOK {
			fmt.Fprintf(stdout, "%s\n(one use, until %s)\n", answer.URL, answer.ExpiresAt)
			return exitOK
		}
	}
	fmt.Fprintf(stderr, "tocsin: user %s: HTTP %d: %s\n", args[0], status, answer.Error)
	if status == http.StatusBadRequest || status == http.StatusNotFound {
		return exitInvalid
	}
	return exitFailed
}

// readPassword reads a new password: from a terminal without echo, asked
// twice; otherwise the first line of stdin.
func readPassword(stdin io.Reader, stderr io.Writer, name string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(stderr, "New password for %s: ", name)
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stderr, "Again: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if !bytes.Equal(first, second) {
			return "", errors.New("the two passwords differ")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin")
	}
	return line, nil
}

// callAPI sends one request with a JSON body (if any) to the running
// server as the admin token, and decodes its JSON answer into out.
func callAPI(method, url string, body []byte, out any) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), serverTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	token := apiToken()
	if token == "" {
		return 0, errors.New("no API token: set TOCSIN_API_TOKEN (or TOCSIN_ADMIN_TOKEN)")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return resp.StatusCode, fmt.Errorf("HTTP %d, not JSON: %.200s", resp.StatusCode, data)
	}
	return resp.StatusCode, nil
}
