package encryption

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"
)

// TestOutOfOrder delivers MaxSkip+1 messages with the last first (skipping
// exactly MaxSkip), then the rest shuffled, each twice: every message opens
// once, every second copy is ErrReplay, and the session goes on.
func TestOutOfOrder(t *testing.T) {
	alice, bob := established(t)
	wires := make([][]byte, MaxSkip+1)
	for i := range wires {
		wires[i] = alice.send(bob, fmt.Sprintf("m%d", i), DoubleRatchet)
	}
	last := len(wires) - 1
	bob.recv(alice, wires[last], fmt.Sprintf("m%d", last), DoubleRatchet)
	bob.refuse(alice, wires[last], ErrReplay)
	order := rand.New(rand.NewPCG(1, 2)).Perm(last)
	for _, i := range order {
		bob.recv(alice, wires[i], fmt.Sprintf("m%d", i), DoubleRatchet)
		bob.refuse(alice, wires[i], ErrReplay)
	}
	// Used keys are gone: nothing skipped is left.
	if n := bob.skippedKeys(alice); n != 0 {
		t.Fatalf("%d skipped keys left after every message arrived", n)
	}
	alice.recv(bob, bob.send(alice, "all there", DoubleRatchet), "all there", DoubleRatchet)
	bob.recv(alice, alice.send(bob, "good", DoubleRatchet), "good", DoubleRatchet)
}

// skippedKeys counts the skipped keys in b's sessions with a.
func (b *peer) skippedKeys(a *peer) int {
	ps, err := b.p.loadPeer(compress(a.pub()))
	if err != nil {
		b.t.Fatal(err)
	}
	n := 0
	for _, in := range ps.Installations {
		for _, ref := range in.Sessions {
			_, r, err := b.p.loadSession(ref.Name)
			if err != nil || r == nil {
				b.t.Fatalf("session %s: %v", ref.Name, err)
			}
			n += len(r.skipped)
		}
	}
	return n
}

// TestOutOfOrderAcrossChains: messages of an earlier chain arriving after
// the ratchet has moved on still open from the skipped keys.
func TestOutOfOrderAcrossChains(t *testing.T) {
	alice, bob := established(t)
	late := [][]byte{alice.send(bob, "late 0", DoubleRatchet), alice.send(bob, "late 1", DoubleRatchet)}
	bob.recv(alice, alice.send(bob, "on time", DoubleRatchet), "on time", DoubleRatchet)
	alice.recv(bob, bob.send(alice, "turn", DoubleRatchet), "turn", DoubleRatchet)
	bob.recv(alice, alice.send(bob, "new chain", DoubleRatchet), "new chain", DoubleRatchet)
	bob.recv(alice, late[1], "late 1", DoubleRatchet)
	bob.recv(alice, late[0], "late 0", DoubleRatchet)
	bob.refuse(alice, late[0], ErrReplay)
	// A message of an earlier chain that was already read: replay, not forgery.
	old := alice.send(bob, "x", DoubleRatchet)
	bob.recv(alice, old, "x", DoubleRatchet)
	alice.recv(bob, bob.send(alice, "turn 2", DoubleRatchet), "turn 2", DoubleRatchet)
	bob.recv(alice, alice.send(bob, "chain 3", DoubleRatchet), "chain 3", DoubleRatchet)
	bob.refuse(alice, old, ErrReplay)
}

func TestTooManySkipped(t *testing.T) {
	alice, bob := established(t)
	var wires [][]byte
	for i := range MaxSkip + 2 {
		wires = append(wires, alice.send(bob, fmt.Sprintf("m%d", i), DoubleRatchet))
	}
	bob.refuse(alice, wires[MaxSkip+1], ErrTooManySkipped)
	if n := bob.skippedKeys(alice); n != 0 {
		t.Fatalf("a refused message left %d skipped keys", n)
	}
	// The session is untouched: in-order messages still open, and then the
	// one refused opens too, now that it skips fewer.
	bob.recv(alice, wires[0], "m0", DoubleRatchet)
	bob.recv(alice, wires[MaxSkip+1], fmt.Sprintf("m%d", MaxSkip+1), DoubleRatchet)
	bob.recv(alice, wires[5], "m5", DoubleRatchet)
}

// TestTamper changes one thing at a time in a message; each copy is refused
// and the genuine message still opens afterwards.
func TestTamper(t *testing.T) {
	alice, bob := established(t)
	wire := alice.send(bob, "genuine", DoubleRatchet)
	other := keccakKey(t, "mallory-ratchet")
	cases := []struct {
		name string
		edit func(m *DirectMessageProtocol)
		want error
	}{
		{"payload byte", func(m *DirectMessageProtocol) { m.Payload[20] ^= 1 }, ErrTampered},
		{"iv byte", func(m *DirectMessageProtocol) { m.Payload[0] ^= 1 }, ErrTampered},
		{"tag byte", func(m *DirectMessageProtocol) { m.Payload[len(m.Payload)-1] ^= 1 }, ErrTampered},
		{"truncated", func(m *DirectMessageProtocol) { m.Payload = m.Payload[:len(m.Payload)-1] }, ErrTampered},
		{"too short", func(m *DirectMessageProtocol) { m.Payload = m.Payload[:10] }, ErrTampered},
		{"header n", func(m *DirectMessageProtocol) { m.DRHeader.N++ }, ErrTampered},
		{"header n far", func(m *DirectMessageProtocol) { m.DRHeader.N += 500 }, ErrTampered},
		{"header pn", func(m *DirectMessageProtocol) { m.DRHeader.Pn++ }, ErrTampered},
		{"ratchet key", func(m *DirectMessageProtocol) { m.DRHeader.Key = compress(&other.PublicKey) }, ErrTampered},
		{"ratchet key off curve", func(m *DirectMessageProtocol) { m.DRHeader.Key = append([]byte{2}, bytes.Repeat([]byte{0xff}, 32)...) }, ErrMalformed},
		{"bundle id", func(m *DirectMessageProtocol) { m.DRHeader.Id = compress(&other.PublicKey) }, ErrNoSession},
		{"oversized key", func(m *DirectMessageProtocol) { m.DRHeader.Key = make([]byte, 65) }, ErrMalformed},
		{"no header", func(m *DirectMessageProtocol) { m.DRHeader = nil }, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var pm ProtocolMessage
			if err := proto.Unmarshal(wire, &pm); err != nil {
				t.Fatal(err)
			}
			tc.edit(pm.DirectMessage["bob-1"])
			bad, err := proto.Marshal(&pm)
			if err != nil {
				t.Fatal(err)
			}
			if in, err := bob.p.Decrypt(alice.pub(), bad); !errors.Is(err, tc.want) {
				t.Fatalf("got %q, %v; want %v", in.Payload, err, tc.want)
			}
		})
	}
	bob.recv(alice, wire, "genuine", DoubleRatchet)
	bob.refuse(alice, wire, ErrReplay)
	alice.recv(bob, bob.send(alice, "still fine", DoubleRatchet), "still fine", DoubleRatchet)
}

// TestX3DHReplay: the first message of a session, replayed after the
// session has moved on or been replaced, never opens again.
func TestX3DHReplay(t *testing.T) {
	c := newClock()
	alice, bob := newPeer(t, "alice", "alice-1", c), newPeer(t, "bob", "bob-1", c)
	introduce(t, alice, bob)
	first := alice.send(bob, "first", X3DH)
	bob.recv(alice, first, "first", X3DH)
	bob.refuse(alice, first, ErrReplay)
	// Alice loses her state and starts again on the same prekey of Bob's:
	// the new session replaces the old at Bob, and the old first message
	// is still refused.
	alice.kv = NewMemoryKV()
	alice.restart()
	introduce(t, alice, bob)
	bob.recv(alice, alice.send(bob, "again", X3DH), "again", X3DH)
	bob.refuse(alice, first, ErrReplay)
	// A forged X3DH header (someone else's ephemeral key) fails the tag.
	var pm ProtocolMessage
	_ = proto.Unmarshal(alice.send(bob, "third", X3DH), &pm)
	pm.DirectMessage["bob-1"].X3DHHeader.Key = compress(&keccakKey(t, "mallory").PublicKey)
	forged, _ := proto.Marshal(&pm)
	bob.refuse(alice, forged, ErrTampered)
	bob.recv(alice, alice.send(bob, "fourth", X3DH), "fourth", X3DH)
}

// TestForwardSecrecy: a copy of Bob's whole state (and his identity key)
// taken after message N opens none of messages 1..N-1, though it reads
// message N+1 fine.
func TestForwardSecrecy(t *testing.T) {
	c := newClock()
	alice, bob := newPeer(t, "alice", "alice-1", c), newPeer(t, "bob", "bob-1", c)
	introduce(t, alice, bob)
	var archive [][]byte // as a mailserver would keep them
	for i := range 12 {
		msg := fmt.Sprintf("secret %d", i)
		want := DoubleRatchet
		if i < 3 {
			want = X3DH
		}
		w := alice.send(bob, msg, want)
		archive = append(archive, w)
		bob.recv(alice, w, msg, want)
		if i%3 == 2 { // Bob answers now and then: new chains both ways
			alice.recv(bob, bob.send(alice, "ok", DoubleRatchet), "ok", DoubleRatchet)
		}
	}
	stolen := &peer{t: t, name: "thief", key: bob.key, inst: bob.inst, kv: copyKV(bob.kv), clock: c}
	stolen.restart()
	for i, w := range archive {
		in, err := stolen.p.Decrypt(alice.pub(), w)
		if err == nil {
			t.Fatalf("message %d opened from the stolen state: %q", i+1, in.Payload)
		}
	}
	next := alice.send(bob, "next", DoubleRatchet)
	stolen.recv(alice, next, "next", DoubleRatchet)
}

// TestStateSealed: after a conversation with skipped keys pending, the raw
// KV holds none of the keys, plaintexts, public keys or installation ids,
// in any of the usual encodings.
func TestStateSealed(t *testing.T) {
	alice, bob := established(t)
	var pending [][]byte
	var texts []string
	for i := range 5 {
		texts = append(texts, fmt.Sprintf("plaintext number %d", i))
		w := alice.send(bob, texts[i], DoubleRatchet)
		if i%2 == 0 {
			pending = append(pending, w) // leaves skipped keys at Bob
		} else {
			bob.recv(alice, w, texts[i], DoubleRatchet)
		}
	}
	secrets := map[string][]byte{
		"alice identity": crypto.FromECDSA(alice.key), "bob identity": crypto.FromECDSA(bob.key),
		"alice pub": compress(alice.pub()), "bob pub": compress(bob.pub()),
		"alice pub 65": crypto.FromECDSAPub(alice.pub()), "bob pub 65": crypto.FromECDSAPub(bob.pub()),
		"alice installation": []byte(alice.inst), "bob installation": []byte(bob.inst),
	}
	for i, s := range texts {
		secrets[fmt.Sprintf("text %d", i)] = []byte(s)
	}
	for _, pr := range []*peer{alice, bob} {
		for i, spk := range pr.p.self.SPKs {
			secrets[fmt.Sprintf("%s spk %d", pr.name, i)] = spk.Priv
			secrets[fmt.Sprintf("%s spk pub %d", pr.name, i)] = spk.Pub
		}
		other := bob
		if pr == bob {
			other = alice
		}
		ps, err := pr.p.loadPeer(compress(other.pub()))
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range ps.Installations {
			for _, ref := range in.Sessions {
				s, r, err := pr.p.loadSession(ref.Name)
				if err != nil || s == nil {
					t.Fatal(err)
				}
				st := r.state()
				for what, b := range map[string][]byte{"rk": st.RK, "cks": st.CKs, "ckr": st.CKr, "dhs": st.DHs, "dhr": st.DHr, "ek": s.EK} {
					if len(b) > 0 {
						secrets[fmt.Sprintf("%s %s %s", pr.name, ref.Name[:8], what)] = b
					}
				}
				for id, k := range r.skipped {
					secrets[fmt.Sprintf("%s skipped mk %x", pr.name, id[keyLen:])] = k.mk
				}
			}
		}
	}
	if n := bob.skippedKeys(alice); n == 0 {
		t.Fatal("the test meant to leave skipped keys")
	}
	for _, pr := range []*peer{alice, bob} {
		raw := dump(pr.kv)
		for what, s := range secrets {
			for enc, form := range map[string][]byte{
				"raw": s, "hex": []byte(hex.EncodeToString(s)), "base64": []byte(base64.StdEncoding.EncodeToString(s)),
			} {
				if bytes.Contains(raw, form) {
					t.Errorf("%s's KV holds %s (%s)", pr.name, what, enc)
				}
			}
		}
	}
	for i, w := range pending {
		bob.recv(alice, w, texts[2*i], DoubleRatchet)
	}
}

// TestWrongIdentityCannotOpenState: the state is sealed under the identity
// key; another key cannot read it and New says why.
func TestWrongIdentityCannotOpenState(t *testing.T) {
	_, bob := established(t)
	_, err := New(Config{Identity: keccakKey(t, "mallory"), InstallationID: bob.inst, KV: bob.kv})
	if err != nil {
		t.Fatalf("another identity has its own (empty) state: %v", err)
	}
	// A value moved to another slot does not open there either.
	m := bob.kv.(*memoryKV)
	var sessions []string
	for k := range m.m {
		if bytes.HasPrefix([]byte(k), []byte(nsSession+"\x00")) {
			sessions = append(sessions, k)
		}
	}
	m.m[nsSelf+"\x00"+bob.p.selfName()] = m.m[sessions[0]]
	if _, err := New(Config{Identity: bob.key, InstallationID: bob.inst, KV: bob.kv}); err == nil {
		t.Fatal("a session sealed value opened as the self state")
	}
}
