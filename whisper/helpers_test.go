package whisper

import (
	"crypto/ecdsa"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"hush/codec"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
)

// testLogWriter sends slog output to t.Log until the test ends.
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

// testNodeConfig is a loopback-only config with a fresh key.
func testNodeConfig(t *testing.T, name string, peers ...*enode.Node) Config {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		ListenAddr: "127.0.0.1:0",
		NodeKey:    key,
		Peers:      peers,
		Logger:     testLogger(t, name),
	}
}

// startNode starts a node from cfg and stops it when the test ends.
func startNode(t *testing.T, cfg Config) *Node {
	t.Helper()
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return n
}

// newTestNode starts a node dialing peers.
func newTestNode(t *testing.T, name string, peers ...*enode.Node) *Node {
	t.Helper()
	return startNode(t, testNodeConfig(t, name, peers...))
}

// waitTimeout bounds waits for something that should happen soon. It is
// generous because a wait ends as soon as its condition holds: only a
// failing test pays for it, while a short bound fails good code on a busy
// machine under the race detector (real devp2p, many parallel tests).
const waitTimeout = 60 * time.Second

// quietPeriod ends a geth-format page in tests: long enough that a loaded
// machine does not pause that long between envelopes (or before the
// first), which would end the page early.
const quietPeriod = 3 * time.Second

// sealTimeout is the most seconds a test envelope may spend on its PoW;
// whisperv6 stops at the target, so this only matters on a slow machine.
const sealTimeout = 60

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// connected waits until every node has at least want peers.
func connected(t *testing.T, want int, nodes ...*Node) {
	t.Helper()
	for _, n := range nodes {
		waitFor(t, waitTimeout, "peers to connect", func() bool { return n.PeerCount() >= want })
	}
}

// inbox collects what a node delivers.
type inbox struct {
	node *Node
	got  []Received
}

// await reads deliveries until one satisfies match.
func (b *inbox) await(t *testing.T, timeout time.Duration, what string, match func(Received) bool) Received {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for _, r := range b.got {
		if match(r) {
			return r
		}
	}
	for {
		select {
		case r := <-b.node.Received():
			b.got = append(b.got, r)
			if match(r) {
				return r
			}
		case <-timer.C:
			t.Fatalf("timed out after %s waiting for %s (got %d other messages)", timeout, what, len(b.got))
			return Received{}
		}
	}
}

// saw reports whether any delivery so far satisfies match.
func (b *inbox) saw(match func(Received) bool) bool {
	for _, r := range b.got {
		if match(r) {
			return true
		}
	}
	return false
}

func withHash(h [32]byte) func(Received) bool {
	return func(r Received) bool { return r.EnvelopeHash == h }
}

func withDirectHash(h [32]byte) func(Received) bool {
	return func(r Received) bool { return r.EnvelopeHash == h && r.Direct }
}

// topicOf is the Status topic of a name: keccak256(name)[:4].
func topicOf(name string) [4]byte {
	var t [4]byte
	copy(t[:], crypto.Keccak256([]byte(name)))
	return t
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// chatKey is the public chat key of name.
func chatKey(t *testing.T, name string) []byte {
	t.Helper()
	return codec.SymKeyFromPassword(name)
}
