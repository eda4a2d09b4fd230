package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"hush/whisper"
	"hush/whisper/mailformat"
	"hush/whisper/mailserver"
	"hush/whisper/rpcnode"
	"hush/whisper/rpcserver"

	"hush/session"
)

// validateRPC checks the flags of hush serve's RPC and of hush --node
// (PROTOCOL.md §10).
func (o *options) validateRPC() error {
	if o.rpcWS != "" {
		if _, _, err := net.SplitHostPort(o.rpcWS); err != nil {
			return fmt.Errorf("--rpc-ws %q: want HOST:PORT, e.g. 127.0.0.1:8546", o.rpcWS)
		}
	}
	if o.rpcRemote && o.rpcTokenFile == "" {
		return errors.New("--rpc-allow-remote needs --rpc-token-file: remote callers must present a token")
	}
	if (o.rpcRemote || o.rpcTokenFile != "") && o.rpcWS == "" {
		return errors.New("--rpc-allow-remote and --rpc-token-file apply to --rpc-ws, which is not given")
	}
	if o.command == cmdServe && len(o.mailservers) > 0 && o.apiPath == "" {
		return errors.New("--mailserver: hush serve uses it only for the session of --api")
	}
	if o.nodeURL != "" {
		if o.set["listen"] {
			return errors.New("--listen: with --node, hush runs no node of its own to listen")
		}
		if strings.Contains(o.nodeURL, "://") && !strings.HasPrefix(o.nodeURL, "ws://") && !strings.HasPrefix(o.nodeURL, "wss://") {
			return fmt.Errorf("--node %q: want ws://HOST:PORT, wss://… or the path of an IPC socket", o.nodeURL)
		}
	}
	return nil
}

// readToken reads --rpc-token-file: its first line, without spaces.
func readToken(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--rpc-token-file: %w", err)
	}
	token, _, _ := strings.Cut(string(raw), "\n")
	token = strings.TrimSpace(token)
	if token == "" {
		return "", fmt.Errorf("--rpc-token-file %s: empty", path)
	}
	return token, nil
}

// startRPC serves the node over JSON-RPC when --rpc-ws or --ipc asks;
// nil when neither does. passthrough keeps the node's other deliveries for
// a session in the same process.
func startRPC(opts options, node *whisper.Node, ms *mailserver.Server, logger *slog.Logger, passthrough bool) (*rpcserver.Server, error) {
	if opts.rpcWS == "" && opts.ipc == "" {
		return nil, nil
	}
	cfg := rpcserver.Config{
		Node:        node,
		Mailserver:  ms,
		AllowRemote: opts.rpcRemote,
		Passthrough: passthrough,
		Logger:      logger.With("part", "rpc"),
	}
	if opts.rpcTokenFile != "" {
		var err error
		if cfg.Token, err = readToken(opts.rpcTokenFile); err != nil {
			return nil, err
		}
	}
	srv, err := rpcserver.New(cfg)
	if err != nil {
		return nil, err
	}
	if opts.rpcWS != "" {
		addr, err := srv.ListenWS(opts.rpcWS)
		if err != nil {
			srv.Close()
			return nil, err
		}
		fmt.Printf("rpc ws://%s\n", addr)
	}
	if opts.ipc != "" {
		if err := srv.ListenIPC(opts.ipc); err != nil {
			srv.Close()
			return nil, err
		}
		fmt.Printf("rpc %s\n", opts.ipc)
	}
	return srv, nil
}

// startRemote connects to the node of --node. Without --mailserver, a node
// that keeps history (hush serve) is its own mailserver.
func startRemote(opts options, logger *slog.Logger) (*rpcnode.Node, []session.Mailserver, error) {
	node, err := rpcnode.New(rpcnode.Config{URL: opts.nodeURL, Logger: logger.With("part", "rpcnode")})
	if err != nil {
		return nil, nil, err
	}
	if err := node.Start(); err != nil {
		return nil, nil, err
	}
	for _, p := range opts.peerNodes {
		node.AddPeer(p)
	}
	mailservers := opts.parsedMailservers
	if len(mailservers) == 0 && node.HasHistory() && node.Enode() != nil {
		mailservers = []session.Mailserver{{Node: node.Enode(), Format: mailformat.FormatStatus}}
		logger.Info("history from the node's own archive", "node", node.Enode().URLv4())
	}
	return node, mailservers, nil
}
