package encryption

import (
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentUse: Encrypt, Decrypt and the queries from several
// goroutines at once (run with -race). Every message opens exactly once,
// whatever order the goroutines put them in.
func TestConcurrentUse(t *testing.T) {
	alice, bob := established(t)
	const senders, each = 4, 25
	wires := make(chan []byte, senders*each)
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				out, err := alice.p.Encrypt(bob.pub(), []byte(fmt.Sprintf("%d/%d", s, i)))
				if err != nil {
					t.Error(err)
					return
				}
				wires <- out.Wire
				alice.p.KindFor(bob.pub())
				alice.p.Agreed(bob.pub())
			}
		})
	}
	wg.Wait()
	close(wires)
	var mu sync.Mutex
	seen := map[string]bool{}
	for range 3 {
		wg.Go(func() {
			for w := range wires {
				in, err := bob.p.Decrypt(alice.pub(), w)
				if err != nil {
					t.Error(err)
					continue
				}
				bob.p.Installations(alice.pub())
				mu.Lock()
				if seen[string(in.Payload)] {
					t.Errorf("%s opened twice", in.Payload)
				}
				seen[string(in.Payload)] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != senders*each {
		t.Fatalf("%d of %d opened", len(seen), senders*each)
	}
}

// TestX3DHOutOfOrder: the repeated X3DH messages of a new session arrive
// in reverse; the first to arrive builds the session, the others open from
// its skipped keys.
func TestX3DHOutOfOrder(t *testing.T) {
	c := newClock()
	alice, bob := newPeer(t, "alice", "alice-1", c), newPeer(t, "bob", "bob-1", c)
	introduce(t, alice, bob)
	var wires [][]byte
	for i := range 5 {
		wires = append(wires, alice.send(bob, fmt.Sprintf("m%d", i), X3DH))
	}
	for i := len(wires) - 1; i >= 0; i-- {
		bob.recv(alice, wires[i], fmt.Sprintf("m%d", i), X3DH)
	}
	for _, w := range wires {
		bob.refuse(alice, w, ErrReplay)
	}
	alice.recv(bob, bob.send(alice, "got them", DoubleRatchet), "got them", DoubleRatchet)
	bob.recv(alice, alice.send(bob, "good", DoubleRatchet), "good", DoubleRatchet)
}
