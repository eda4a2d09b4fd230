package encryption

import (
	"errors"
	"testing"
)

// batchKV is a memory KV with Apply, counting batches and failing on demand.
type batchKV struct {
	KV
	applies int
	fail    bool
}

var errDiskFull = errors.New("disk full")

func (b *batchKV) Apply(ops []Op) error {
	if b.fail {
		return errDiskFull
	}
	b.applies++
	for _, op := range ops {
		if op.Delete {
			_ = b.KV.Delete(op.NS, op.Key)
		} else {
			_ = b.KV.Put(op.NS, op.Key, op.Value)
		}
	}
	return nil
}

// TestBatchedWrites: with a Batcher, one message is one Apply; and a store
// that fails loses nothing: the failed call changed no state, so trying
// again works (a message that failed to be stored is not a replay later).
func TestBatchedWrites(t *testing.T) {
	c := newClock()
	alice := newPeer(t, "alice", "alice-1", c)
	bkv := &batchKV{KV: NewMemoryKV()}
	bob := &peer{t: t, name: "bob", key: keccakKey(t, "bob-identity"), inst: "bob-1", kv: bkv, clock: c}
	bob.restart()
	introduce(t, alice, bob)
	w := alice.send(bob, "one", X3DH)

	bkv.fail = true
	bob.refuse(alice, w, errDiskFull)
	bkv.fail = false
	before := bkv.applies
	bob.recv(alice, w, "one", X3DH)
	if n := bkv.applies - before; n != 1 {
		t.Fatalf("Decrypt made %d batches, want 1", n)
	}
	bob.refuse(alice, w, ErrReplay)

	bkv.fail = true
	if _, err := bob.p.Encrypt(alice.pub(), []byte("lost?")); !errors.Is(err, errDiskFull) {
		t.Fatalf("Encrypt with a failing store: %v", err)
	}
	bkv.fail = false
	before = bkv.applies
	alice.recv(bob, bob.send(alice, "two", DoubleRatchet), "two", DoubleRatchet)
	if n := bkv.applies - before; n != 1 {
		t.Fatalf("Encrypt made %d batches, want 1", n)
	}
	bob.recv(alice, alice.send(bob, "three", DoubleRatchet), "three", DoubleRatchet)
}

func TestMemoryKV(t *testing.T) {
	kv := NewMemoryKV()
	for _, k := range []string{"a/1", "a/2", "b/1"} {
		if err := kv.Put("ns", k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	_ = kv.Put("other", "a/3", nil)
	keys, _ := kv.Keys("ns", "a/")
	if len(keys) != 2 || keys[0] != "a/1" || keys[1] != "a/2" {
		t.Fatalf("Keys %v", keys)
	}
	_ = kv.Delete("ns", "a/1")
	if _, ok, _ := kv.Get("ns", "a/1"); ok {
		t.Fatal("deleted key still there")
	}
	v, ok, _ := kv.Get("ns", "b/1")
	if !ok || string(v) != "b/1" {
		t.Fatalf("Get %q %v", v, ok)
	}
}
