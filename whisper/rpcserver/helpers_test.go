package rpcserver

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"

	"hush/whisper"
	"hush/whisper/mailserver"
)

// waitTimeout bounds waits for what should happen soon; generous for a
// loaded machine, as only a failing test pays for it.
const waitTimeout = 60 * time.Second

type testLogWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func testLogger(t *testing.T, name string) *slog.Logger {
	w := &testLogWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", name)
}

// memArchive is an in-memory mailserver archive.
type memArchive struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (a *memArchive) ArchivePut(keys, raws [][]byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, k := range keys {
		if _, ok := a.m[string(k)]; !ok {
			a.m[string(k)] = bytes.Clone(raws[i])
		}
	}
	return nil
}

func (a *memArchive) ArchiveRead(from, to []byte, topics [][]byte, limit int) (keys, raws [][]byte, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	sorted := make([]string, 0, len(a.m))
	for k := range a.m {
		if k >= string(from) && k < string(to) &&
			(topics == nil || slices.ContainsFunc(topics, func(t []byte) bool { return strings.HasSuffix(k, string(t)) })) {
			sorted = append(sorted, k)
		}
	}
	sort.Strings(sorted)
	for _, k := range sorted[:min(limit, len(sorted))] {
		keys = append(keys, []byte(k))
		raws = append(raws, bytes.Clone(a.m[k]))
	}
	return keys, raws, nil
}

func (a *memArchive) ArchiveTopics() ([][]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := map[string]bool{}
	var topics [][]byte
	for k := range a.m {
		if t := k[max(len(k)-4, 0):]; !seen[t] {
			seen[t] = true
			topics = append(topics, []byte(t))
		}
	}
	return topics, nil
}

func (a *memArchive) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.m)
}

// servedNode is a started hush node (with an archive when asked) and its
// RPC server, both stopped when the test ends.
type servedNode struct {
	node    *whisper.Node
	archive *memArchive
	server  *Server
}

func startServed(t *testing.T, cfg Config, withArchive bool) *servedNode {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	log := testLogger(t, "served")
	node, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: key, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	sn := &servedNode{node: node}
	if withArchive {
		sn.archive = &memArchive{m: make(map[string][]byte)}
		ms := mailserver.New(mailserver.Config{SymKey: make([]byte, 32), Logger: log}, sn.archive, node)
		node.RegisterMailServer(ms)
		ms.Start()
		t.Cleanup(ms.Stop)
		cfg.Mailserver = ms
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Stop)
	cfg.Node = node
	cfg.Logger = log
	if sn.server, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sn.server.Close)
	return sn
}

// dialWS listens on loopback and dials it with url's credentials part
// (e.g. "user:token@"; "" for none).
func (sn *servedNode) dialWS(t *testing.T, creds string) (*rpc.Client, error) {
	t.Helper()
	addr, err := sn.server.ListenWS("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := rpc.DialWebsocket(ctx, "ws://"+creds+addr.String(), "")
	if err == nil {
		t.Cleanup(c.Close)
	}
	return c, err
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
