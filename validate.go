package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/session"
)

var (
	errNotBool     = errors.New("want true or false")
	errNotInt      = errors.New("want a whole number")
	errNotNumber   = errors.New("want a number")
	errNotDuration = errors.New("want a duration such as 90s, 10m or 24h")
)

// validate checks every flag's value before anything touches the data
// dir: a mistake is reported before an identity is created or a
// passphrase asked.
func (o *options) validate() error {
	if o.dataDir == "" {
		return errors.New("--data-dir: empty")
	}
	if o.listen != "" {
		if _, _, err := net.SplitHostPort(o.listen); err != nil {
			return fmt.Errorf("--listen %q: want HOST:PORT or :PORT, e.g. 127.0.0.1:30303", o.listen)
		}
		if _, err := net.ResolveTCPAddr("tcp", o.listen); err != nil {
			return fmt.Errorf("--listen %q: %w", o.listen, err)
		}
	}
	for _, raw := range o.peers {
		n, err := parseEnode(raw)
		if err != nil {
			return fmt.Errorf("--peer %q: %w", raw, err)
		}
		o.peerNodes = append(o.peerNodes, n)
	}
	for _, raw := range o.mailservers {
		if _, err := parseEnode(stripQuery(raw)); err != nil {
			return fmt.Errorf("--mailserver %q: %w", raw, err)
		}
		ms, err := session.ParseMailserver(raw)
		if err != nil {
			return err // "mailserver \"…\": …" already
		}
		o.parsedMailservers = append(o.parsedMailservers, ms)
	}
	if err := o.validateRPC(); err != nil {
		return err
	}
	if o.command == cmdChat && o.logFile == logToStderr {
		return errors.New("--log-file -: the client draws on the terminal; give it a file (serve may log to stderr)")
	}
	if o.maxPeers < 0 {
		return fmt.Errorf("--max-peers %d: must be 0 or more", o.maxPeers)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	if o.maxRange <= 0 {
		return fmt.Errorf("--max-range %s: must be positive", o.maxRange)
	}
	if o.rateLimit < 0 {
		return fmt.Errorf("--rate-limit %s: must not be negative", o.rateLimit)
	}
	if o.mailserverPoW < 0 {
		return fmt.Errorf("--mailserver-pow %g: must not be negative", o.mailserverPoW)
	}
	if o.archiveDB != "" && !strings.HasPrefix(o.archiveDB, "postgres://") && !strings.HasPrefix(o.archiveDB, "postgresql://") {
		return errors.New("--archive-db: want a postgres://user:password@host:port/database URL")
	}
	if o.metrics != "" {
		if err := checkLoopback(o.metrics); err != nil {
			return fmt.Errorf("--metrics %q: %w", o.metrics, err)
		}
	}
	return nil
}

// checkLoopback accepts HOST:PORT whose host is a loopback address or
// localhost: the metrics say who the server talks to, and have no access check.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want HOST:PORT, e.g. 127.0.0.1:9100")
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return errors.New("must be a loopback address such as 127.0.0.1 (the metrics have no access check)")
	}
	return nil
}

// parseEnode reads an enode:// URL with hush's own wording for the usual
// mistakes rather than go-ethereum's (which, for anything without the
// scheme, talks about ENR records).
func parseEnode(raw string) (*enode.Node, error) {
	const want = "want enode://<128 hex digits of the node key>@HOST:PORT, as hush serve prints it"
	if !strings.HasPrefix(raw, "enode://") {
		return nil, errors.New("not an enode URL: " + want)
	}
	key, _, ok := strings.Cut(strings.TrimPrefix(raw, "enode://"), "@")
	if !ok {
		return nil, errors.New("no @HOST:PORT: " + want)
	}
	if len(key) != 128 {
		return nil, fmt.Errorf("the node key has %d characters, not 128: %s", len(key), want)
	}
	n, err := enode.ParseV4(raw)
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, want)
	}
	if n.TCP() == 0 {
		return nil, errors.New("no TCP port: " + want)
	}
	return n, nil
}

// stripQuery drops "?…" so a mailserver URL's format option does not get
// in the way of checking the enode part.
func stripQuery(raw string) string {
	raw = strings.TrimSpace(raw)
	if i := strings.Index(raw, "?"); i >= 0 {
		return raw[:i]
	}
	return raw
}
