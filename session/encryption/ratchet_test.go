package encryption

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
)

// pair is a bare ratchet pair, no Protocol: for the limits, which take
// thousands of messages.
func pair(t *testing.T) (alice, bob *ratchet) {
	t.Helper()
	sk := bytes.Repeat([]byte{9}, 32)
	spk := keccakKey(t, "bob-signed-prekey")
	alice, err := newInitiator(sk, compress(&spk.PublicKey), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return alice, newResponder(sk, spk)
}

type sealed struct {
	h  header
	ct []byte
}

func seal(t *testing.T, r *ratchet, text string) sealed {
	t.Helper()
	h, ct, err := r.encrypt([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return sealed{h, ct}
}

func open(t *testing.T, r *ratchet, m sealed) ([]byte, error) {
	t.Helper()
	return r.decrypt(m.h, m.ct, rand.Reader)
}

// TestMaxKeep: a skipped key is forgotten after MaxKeep more messages have
// been received, and its message is then refused as a replay.
func TestMaxKeep(t *testing.T) {
	alice, bob := pair(t)
	late := seal(t, alice, "late")
	for i := range MaxKeep {
		if _, err := open(t, bob, seal(t, alice, fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if len(bob.skipped) != 1 {
		t.Fatalf("%d skipped keys before the limit", len(bob.skipped))
	}
	if _, err := open(t, bob, seal(t, alice, "one more")); err != nil {
		t.Fatal(err)
	}
	if len(bob.skipped) != 0 {
		t.Fatal("skipped key outlived MaxKeep messages")
	}
	if _, err := open(t, bob, late); !errors.Is(err, ErrReplay) {
		t.Fatalf("late message after MaxKeep: %v", err)
	}
}

// TestMaxSkippedKeys: over three chains that each skip MaxSkip, a session
// keeps MaxSkippedKeys, dropping the oldest.
func TestMaxSkippedKeys(t *testing.T) {
	alice, bob := pair(t)
	var first sealed
	for chain := range 3 {
		var skippedHere []sealed
		for range MaxSkip {
			skippedHere = append(skippedHere, seal(t, alice, "skipped"))
		}
		if chain == 0 {
			first = skippedHere[0]
		}
		if _, err := open(t, bob, seal(t, alice, "last of chain")); err != nil {
			t.Fatal(err)
		}
		if _, err := open(t, alice, seal(t, bob, "turn")); err != nil { // new chains both ways
			t.Fatal(err)
		}
	}
	if len(bob.skipped) != MaxSkippedKeys {
		t.Fatalf("%d skipped keys, want %d", len(bob.skipped), MaxSkippedKeys)
	}
	if _, err := open(t, bob, first); err == nil {
		t.Fatal("the oldest skipped key was kept")
	}
}

// TestRatchetStateRoundTrip: a ratchet stored and loaded goes on exactly
// as the original, skipped keys and past chains included.
func TestRatchetStateRoundTrip(t *testing.T) {
	alice, bob := pair(t)
	skipped := seal(t, alice, "skipped")
	if _, err := open(t, bob, seal(t, alice, "x")); err != nil {
		t.Fatal(err)
	}
	if _, err := open(t, alice, seal(t, bob, "y")); err != nil {
		t.Fatal(err)
	}
	st := bob.state()
	loaded, err := st.ratchet(bob.appendSkipped(nil))
	if err != nil {
		t.Fatal(err)
	}
	next := seal(t, alice, "z")
	for _, r := range []*ratchet{bob, loaded} {
		pt, err := r.decrypt(next.h, next.ct, bytes.NewReader(bytes.Repeat([]byte{5}, 64)))
		if err != nil || string(pt) != "z" {
			t.Fatalf("%q, %v", pt, err)
		}
		if pt, err := open(t, r, skipped); err != nil || string(pt) != "skipped" {
			t.Fatalf("skipped: %q, %v", pt, err)
		}
	}
	if !bytes.Equal(bob.rk, loaded.rk) || !bytes.Equal(bob.cks, loaded.cks) || !bytes.Equal(bob.dhsPub, loaded.dhsPub) {
		t.Fatal("loaded ratchet went another way")
	}
	st.DHr = []byte{1, 2}
	if _, err := st.ratchet(nil); err == nil {
		t.Fatal("a damaged stored ratchet loaded")
	}
}
