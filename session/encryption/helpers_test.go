package encryption

import (
	"crypto/ecdsa"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
)

// clock is a settable time source shared by the peers of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2019, 8, 5, 10, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond) // every reading is later than the last
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// peer is one installation of one identity in a test.
type peer struct {
	t     testing.TB
	name  string
	key   *ecdsa.PrivateKey
	inst  string
	kv    KV
	clock *clock
	p     *Protocol
}

func newPeer(t testing.TB, name, inst string, c *clock) *peer {
	t.Helper()
	key, err := crypto.ToECDSA(crypto.Keccak256([]byte(name + "-identity")))
	if err != nil {
		t.Fatal(err)
	}
	a := &peer{t: t, name: name, key: key, inst: inst, kv: NewMemoryKV(), clock: c}
	a.restart()
	return a
}

// restart builds a new Protocol over the same KV, as after a process restart.
func (a *peer) restart() {
	a.t.Helper()
	p, err := New(Config{Identity: a.key, InstallationID: a.inst, KV: a.kv, Now: a.clock.now})
	if err != nil {
		a.t.Fatalf("%s: New: %v", a.name, err)
	}
	a.p = p
}

func (a *peer) pub() *ecdsa.PublicKey { return &a.key.PublicKey }

// send encrypts text for b and checks the kind.
func (a *peer) send(b *peer, text string, want Kind) []byte {
	a.t.Helper()
	out, err := a.p.Encrypt(b.pub(), []byte(text))
	if err != nil {
		a.t.Fatalf("%s → %s: Encrypt: %v", a.name, b.name, err)
	}
	if out.Kind != want {
		a.t.Fatalf("%s → %s: kind %v, want %v", a.name, b.name, out.Kind, want)
	}
	return out.Wire
}

// recv decrypts a message from a and checks text and kind.
func (b *peer) recv(a *peer, wire []byte, text string, want Kind) {
	b.t.Helper()
	in, err := b.p.Decrypt(a.pub(), wire)
	if err != nil {
		b.t.Fatalf("%s ← %s: Decrypt %q: %v", b.name, a.name, text, err)
	}
	if string(in.Payload) != text || in.Kind != want {
		b.t.Fatalf("%s ← %s: got %q (%v), want %q (%v)", b.name, a.name, in.Payload, in.Kind, text, want)
	}
}

// refuse decrypts and expects err.
func (b *peer) refuse(a *peer, wire []byte, want error) {
	b.t.Helper()
	in, err := b.p.Decrypt(a.pub(), wire)
	if !errors.Is(err, want) {
		b.t.Fatalf("%s ← %s: got %q, %v; want %v", b.name, a.name, in.Payload, err, want)
	}
}

// introduce gives a the bundle of b, as the contact-code topic would.
func introduce(t testing.TB, a, b *peer) {
	t.Helper()
	ad, err := b.p.BundleMessage()
	if err != nil {
		t.Fatal(err)
	}
	in, err := a.p.Decrypt(b.pub(), ad)
	if err != nil || in.Kind != PublicMessage || len(in.Payload) != 0 || in.Installation != b.inst {
		t.Fatalf("bundle ad: %+v, %v", in, err)
	}
}

// established returns Alice and Bob with a confirmed session both ways.
func established(t testing.TB) (alice, bob *peer) {
	t.Helper()
	c := newClock()
	alice, bob = newPeer(t, "alice", "alice-1", c), newPeer(t, "bob", "bob-1", c)
	introduce(t, alice, bob)
	bob.recv(alice, alice.send(bob, "hi bob", X3DH), "hi bob", X3DH)
	alice.recv(bob, bob.send(alice, "hi alice", DoubleRatchet), "hi alice", DoubleRatchet)
	return alice, bob
}

// dump is every byte a memory KV holds: namespaces, names and values.
func dump(kv KV) []byte {
	m := kv.(*memoryKV)
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	for k, v := range m.m {
		b.WriteString(k)
		b.Write(v)
	}
	return []byte(b.String())
}

// copyKV is a snapshot of a memory KV, as a copy of the database file.
func copyKV(kv KV) KV {
	m := kv.(*memoryKV)
	m.mu.Lock()
	defer m.mu.Unlock()
	c := &memoryKV{m: make(map[string][]byte, len(m.m))}
	for k, v := range m.m {
		c.m[k] = append([]byte(nil), v...)
	}
	return c
}
