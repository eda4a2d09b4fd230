package encryption

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
)

func TestConversation(t *testing.T) {
	c := newClock()
	alice, bob := newPeer(t, "alice", "alice-1", c), newPeer(t, "bob", "bob-1", c)

	// Nothing known of Bob: the payload goes out as it is.
	if got := alice.send(bob, "plain", Plain); string(got) != "plain" {
		t.Fatalf("plain wire %q", got)
	}
	if k := alice.p.KindFor(bob.pub()); k != Plain {
		t.Fatalf("KindFor before bundle: %v", k)
	}
	bob.recv(alice, []byte(`["~#c4",["plain"]]`), `["~#c4",["plain"]]`, Plain)

	introduce(t, alice, bob)
	if k := alice.p.KindFor(bob.pub()); k != X3DH {
		t.Fatalf("KindFor after bundle: %v", k)
	}
	if v := alice.p.MinProtocolVersion(bob.pub()); v != 1 {
		t.Fatalf("MinProtocolVersion %d", v)
	}
	if alice.p.Agreed(bob.pub()) {
		t.Fatal("agreed before Bob said anything")
	}
	// Until Bob answers, every message carries the X3DH header.
	for i := range 3 {
		msg := fmt.Sprintf("x3dh %d", i)
		bob.recv(alice, alice.send(bob, msg, X3DH), msg, X3DH)
	}
	bob.recv(alice, alice.send(bob, "reply please", X3DH), "reply please", X3DH)
	alice.recv(bob, bob.send(alice, "answer", DoubleRatchet), "answer", DoubleRatchet)
	if !alice.p.Agreed(bob.pub()) || !bob.p.Agreed(alice.pub()) {
		t.Fatal("not agreed after messages both ways")
	}
	if bytes.Equal(alice.p.SharedSecret(bob.pub()), nil) || !bytes.Equal(alice.p.SharedSecret(bob.pub()), bob.p.SharedSecret(alice.pub())) {
		t.Fatal("shared secrets differ")
	}
	// Long runs each way, then alternating: many DH ratchet steps.
	for round := range 20 {
		from, to := alice, bob
		if round%2 == 1 {
			from, to = bob, alice
		}
		for i := range round%4 + 1 {
			msg := fmt.Sprintf("round %d message %d", round, i)
			to.recv(from, from.send(to, msg, DoubleRatchet), msg, DoubleRatchet)
		}
	}
	inst := alice.p.Installations(bob.pub())
	if len(inst) != 1 || inst[0].ID != "bob-1" || inst[0].Version != 1 || inst[0].ProtocolVersion != 1 || !inst[0].Enabled {
		t.Fatalf("Installations %+v", inst)
	}
}

func TestEmptyAndLargePayloads(t *testing.T) {
	alice, bob := established(t)
	bob.recv(alice, alice.send(bob, "", DoubleRatchet), "", DoubleRatchet)
	big := string(bytes.Repeat([]byte("x"), 200_000))
	bob.recv(alice, alice.send(bob, big, DoubleRatchet), big, DoubleRatchet)
}

// TestDHFallback: a peer that sent a ProtocolMessage but no bundle gets DH.
func TestDHFallback(t *testing.T) {
	c := newClock()
	alice, bob := newPeer(t, "alice", "alice-1", c), newPeer(t, "bob", "bob-1", c)
	pub, err := proto.Marshal(&ProtocolMessage{InstallationId: "bob-1", PublicMessage: []byte("hello all")})
	if err != nil {
		t.Fatal(err)
	}
	alice.recv(bob, pub, "hello all", PublicMessage)
	if k := alice.p.KindFor(bob.pub()); k != DH {
		t.Fatalf("KindFor %v", k)
	}
	wire := alice.send(bob, "dh to bob", DH)
	var pm ProtocolMessage
	if err := proto.Unmarshal(wire, &pm); err != nil || pm.GetDirectMessage()["none"].GetDHHeader() == nil || len(pm.GetBundles()) != 1 {
		t.Fatalf("DH message %v, %v", &pm, err)
	}
	bob.recv(alice, wire, "dh to bob", DH)
	// Bob now has Alice's bundle from that message: he answers with X3DH.
	alice.recv(bob, bob.send(alice, "x3dh to alice", X3DH), "x3dh to alice", X3DH)
	_ = proto.Unmarshal(wire, &pm)
	pm.DirectMessage["none"].Payload[3] ^= 1
	tampered, _ := proto.Marshal(&pm)
	bob.refuse(alice, tampered, ErrTampered)
}

func TestNotForThisDevice(t *testing.T) {
	c := newClock()
	alice, bob := newPeer(t, "alice", "alice-1", c), newPeer(t, "bob", "bob-1", c)
	introduce(t, alice, bob)
	wire := alice.send(bob, "to bob-1", X3DH)
	bob2 := &peer{t: t, name: "bob (new device)", key: bob.key, inst: "bob-2", kv: NewMemoryKV(), clock: c}
	bob2.restart()
	bob2.refuse(alice, wire, ErrNotForThisDevice)
	// bob-2 answers with its bundle; the next message reaches both devices.
	ad, err := bob2.p.BundleMessage()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.p.Decrypt(bob.pub(), ad); err != nil {
		t.Fatal(err)
	}
	wire = alice.send(bob, "to both", X3DH)
	bob.recv(alice, wire, "to both", X3DH)
	bob2.recv(alice, wire, "to both", X3DH)
}

func TestRestart(t *testing.T) {
	alice, bob := established(t)
	ad1, _ := bob.p.BundleMessage()
	bob.restart()
	alice.restart()
	if ad2, _ := bob.p.BundleMessage(); !bytes.Equal(ad1, ad2) {
		t.Fatal("bundle changed across a restart")
	}
	bob.recv(alice, alice.send(bob, "after restart", DoubleRatchet), "after restart", DoubleRatchet)
	alice.recv(bob, bob.send(alice, "me too", DoubleRatchet), "me too", DoubleRatchet)
	// A message sent before a restart and received after it.
	w := alice.send(bob, "in flight", DoubleRatchet)
	bob.restart()
	bob.recv(alice, w, "in flight", DoubleRatchet)
}

func TestBadBundle(t *testing.T) {
	c := newClock()
	alice, bob, eve := newPeer(t, "alice", "alice-1", c), newPeer(t, "bob", "bob-1", c), newPeer(t, "eve", "eve-1", c)
	ad, _ := bob.p.BundleMessage()
	var pm ProtocolMessage
	if err := proto.Unmarshal(ad, &pm); err != nil {
		t.Fatal(err)
	}
	pm.Bundles[0].Signature[5] ^= 1
	bad, _ := proto.Marshal(&pm)
	alice.refuse(bob, bad, ErrBadBundle)
	// Bob's genuine bundle relayed by Eve is not taken as Eve's.
	alice.refuse(eve, ad, ErrBadBundle)
	if k := alice.p.KindFor(bob.pub()); k != Plain {
		t.Fatalf("a refused bundle was stored: %v", k)
	}
	introduce(t, alice, bob)
}

func TestRotation(t *testing.T) {
	alice, bob := established(t)
	carol := newPeer(t, "carol", "carol-1", bob.clock)
	introduce(t, carol, bob) // Carol keeps Bob's first bundle
	old := alice.send(bob, "sent before rotation", DoubleRatchet)
	bob.clock.advance(BundleRefreshInterval + time.Minute)
	// Bob's next Encrypt rotates; his bundle (in the message) says version 2.
	alice.recv(bob, bob.send(alice, "rotated", DoubleRatchet), "rotated", DoubleRatchet)
	if inst := alice.p.Installations(bob.pub()); inst[0].Version != 2 {
		t.Fatalf("Bob's version at Alice: %+v", inst)
	}
	bob.recv(alice, old, "sent before rotation", DoubleRatchet)
	// Alice's only session with Bob was built on his first prekey: she
	// re-keys with X3DH on prekey 2.
	ad, _ := bob.p.BundleMessage()
	var bm ProtocolMessage
	if err := proto.Unmarshal(ad, &bm); err != nil {
		t.Fatal(err)
	}
	spk2 := bm.Bundles[0].SignedPreKeys["bob-1"]
	sessionID := func(wire []byte, inst string) []byte {
		var pm ProtocolMessage
		if err := proto.Unmarshal(wire, &pm); err != nil {
			t.Fatal(err)
		}
		return pm.DirectMessage[inst].GetDRHeader().GetId()
	}
	wire := alice.send(bob, "re-keyed", X3DH)
	if spk2.GetVersion() != 2 || !bytes.Equal(sessionID(wire, "bob-1"), spk2.GetSignedPreKey()) {
		t.Fatal("re-key not on prekey 2")
	}
	bob.recv(alice, wire, "re-keyed", X3DH)
	// Bob moves to the new session too.
	reply := bob.send(alice, "on the new session", DoubleRatchet)
	if !bytes.Equal(sessionID(reply, "alice-1"), spk2.GetSignedPreKey()) {
		t.Fatal("Bob still answers on the old session")
	}
	alice.recv(bob, reply, "on the new session", DoubleRatchet)
	bob.recv(alice, alice.send(bob, "confirmed", DoubleRatchet), "confirmed", DoubleRatchet)
	// The first prekey's private key is kept: Carol, who only saw the
	// first bundle, starts a session on it now, and Bob opens it.
	bob.recv(carol, carol.send(bob, "late start", X3DH), "late start", X3DH)
	if len(bob.p.self.SPKs) != 2 {
		t.Fatalf("Bob keeps %d prekeys", len(bob.p.self.SPKs))
	}
}

func TestSimultaneousStart(t *testing.T) {
	c := newClock()
	alice, bob := newPeer(t, "alice", "alice-1", c), newPeer(t, "bob", "bob-1", c)
	introduce(t, alice, bob)
	introduce(t, bob, alice)
	a1 := alice.send(bob, "from alice", X3DH)
	b1 := bob.send(alice, "from bob", X3DH)
	bob.recv(alice, a1, "from alice", X3DH)
	alice.recv(bob, b1, "from bob", X3DH)
	// Both now hold two sessions and must pick the same one. The one who
	// started it still sends the X3DH header until the other answers on it.
	enc := func(from, to *peer, text string) ([]byte, Kind) {
		out, err := from.p.Encrypt(to.pub(), []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return out.Wire, out.Kind
	}
	a2, ka := enc(alice, bob, "a2")
	b2, kb := enc(bob, alice, "b2")
	if (ka == X3DH) == (kb == X3DH) || min(ka, kb) != X3DH || max(ka, kb) != DoubleRatchet {
		t.Fatalf("kinds %v and %v: want one x3dh (the chosen session's initiator), one double-ratchet", ka, kb)
	}
	idOf := func(w []byte, inst string) []byte {
		var pm ProtocolMessage
		if err := proto.Unmarshal(w, &pm); err != nil {
			t.Fatal(err)
		}
		return pm.DirectMessage[inst].GetDRHeader().GetId()
	}
	if !bytes.Equal(idOf(a2, "bob-1"), idOf(b2, "alice-1")) {
		t.Fatal("Alice and Bob send on different sessions")
	}
	bob.recv(alice, a2, "a2", ka)
	alice.recv(bob, b2, "b2", kb)
	bob.recv(alice, alice.send(bob, "a3", DoubleRatchet), "a3", DoubleRatchet)
	alice.recv(bob, bob.send(alice, "b3", DoubleRatchet), "b3", DoubleRatchet)
}

func TestMultiDevice(t *testing.T) {
	c := newClock()
	alice := newPeer(t, "alice", "alice-1", c)
	var bobs []*peer
	for i := range 4 {
		b := &peer{t: t, name: fmt.Sprintf("bob-%d", i+1), key: keccakKey(t, "bob-identity"), inst: fmt.Sprintf("bob-%d", i+1), kv: NewMemoryKV(), clock: c}
		b.restart()
		introduce(t, alice, b)
		bobs = append(bobs, b)
	}
	if got := alice.p.Installations(bobs[0].pub()); len(got) != 4 || got[0].ID != "bob-4" {
		t.Fatalf("installations %+v", got)
	}
	// The three most recently seen get it; the oldest does not.
	wire := alice.send(bobs[0], "to three", X3DH)
	for _, b := range bobs[1:] {
		b.recv(alice, wire, "to three", X3DH)
	}
	bobs[0].refuse(alice, wire, ErrNotForThisDevice)
	// bob-1 speaks up and becomes one of the three; bob-2 is now the oldest.
	alice.recv(bobs[0], bobs[0].send(alice, "I'm here", X3DH), "I'm here", X3DH)
	wire = alice.send(bobs[0], "to three again", X3DH)
	bobs[1].refuse(alice, wire, ErrNotForThisDevice)
	for _, b := range []*peer{bobs[0], bobs[2], bobs[3]} {
		in, err := b.p.Decrypt(alice.pub(), wire)
		if err != nil || string(in.Payload) != "to three again" {
			t.Fatalf("%s: %q, %v", b.name, in.Payload, err)
		}
	}
}

func TestOwnDevicesNeedPairing(t *testing.T) {
	c := newClock()
	me1 := newPeer(t, "me", "me-1", c)
	me2 := &peer{t: t, name: "me-2", key: me1.key, inst: "me-2", kv: NewMemoryKV(), clock: c}
	me2.restart()
	introduce(t, me1, me2)
	inst := me1.p.Installations(me1.pub())
	if len(inst) != 1 || inst[0].Enabled {
		t.Fatalf("own device %+v", inst)
	}
	// Our own unpaired device gets nothing encrypted for it.
	if k := me1.p.KindFor(me1.pub()); k != DH {
		t.Fatalf("KindFor self %v", k)
	}
}

func TestKindString(t *testing.T) {
	for k, s := range map[Kind]string{Plain: "plain", DH: "dh", X3DH: "x3dh", DoubleRatchet: "double-ratchet", PublicMessage: "public", 9: "kind(9)"} {
		if k.String() != s {
			t.Errorf("%d: %q", k, k.String())
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", ErrReplay), ErrReplay) {
		t.Fatal("sentinel")
	}
}

// TestNilKeys: a caller's missing key is an error or a zero answer, never
// a panic.
func TestNilKeys(t *testing.T) {
	alice, bob := established(t)
	wire := alice.send(bob, "x", DoubleRatchet)
	if _, err := bob.p.Decrypt(nil, wire); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Decrypt from nil: %v", err)
	}
	if _, err := alice.p.Encrypt(nil, []byte("x")); err == nil {
		t.Fatal("Encrypt to nil worked")
	}
	if alice.p.KindFor(nil) != Plain || alice.p.Agreed(nil) || alice.p.MinProtocolVersion(nil) != 0 ||
		alice.p.Installations(nil) != nil || alice.p.SharedSecret(nil) != nil {
		t.Fatal("queries on a nil key")
	}
	bob.recv(alice, wire, "x", DoubleRatchet)
}
