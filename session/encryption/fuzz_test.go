package encryption

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

// fuzzBase is Bob with a session with Alice, and the messages that made it,
// as the seed corpus.
func fuzzBase(t testing.TB) (alice, bob *peer, seeds [][]byte) {
	c := newClock()
	alice, bob = newPeer(t, "alice", "alice-1", c), newPeer(t, "bob", "bob-1", c)
	ad, err := alice.p.BundleMessage()
	if err != nil {
		t.Fatal(err)
	}
	introduce(t, alice, bob)
	x := alice.send(bob, "first", X3DH)
	bob.recv(alice, x, "first", X3DH)
	reply := bob.send(alice, "reply", DoubleRatchet)
	alice.recv(bob, reply, "reply", DoubleRatchet)
	dr := alice.send(bob, "ratchet", DoubleRatchet)
	pub, _ := proto.Marshal(&ProtocolMessage{InstallationId: "alice-1", PublicMessage: []byte("public")})
	dhOnly := &ProtocolMessage{InstallationId: "alice-1"}
	ek, ct, _ := encryptDH(bob.pub(), []byte("dh"), bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	dhOnly.DirectMessage = map[string]*DirectMessageProtocol{"none": {DHHeader: &DHHeader{Key: ek}, Payload: ct}}
	dhWire, _ := proto.Marshal(dhOnly)
	seeds = [][]byte{ad, x, dr, pub, dhWire, []byte(`["~#c4",["hi","text/plain","~:user-message",1,2,["^ ","~:text","hi"]]]`), {}, {0x12}, {0xaa, 0x06, 0xff}}
	return alice, bob, seeds
}

// FuzzDecrypt: any bytes from the network, as if signed by a peer we have a
// session with. Decrypt must not panic, must return Plain unchanged for
// what is not a ProtocolMessage, and must fail only with a sentinel.
// Run: go test ./session/encryption -run '^$' -fuzz FuzzDecrypt -fuzztime 60s
func FuzzDecrypt(f *testing.F) {
	alice, bob, seeds := fuzzBase(f)
	for _, s := range seeds {
		f.Add(s)
	}
	sentinels := []error{ErrNotForThisDevice, ErrReplay, ErrTampered, ErrNoSession, ErrTooManySkipped, ErrBadBundle, ErrMalformed}
	f.Fuzz(func(t *testing.T, wire []byte) {
		// A fresh Bob from a copy of the state, so that inputs do not
		// depend on each other.
		p, err := New(Config{Identity: bob.key, InstallationID: bob.inst, KV: copyKV(bob.kv), Now: bob.clock.now})
		if err != nil {
			t.Fatal(err)
		}
		in, err := p.Decrypt(alice.pub(), wire)
		if err != nil {
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error without a sentinel: %v", err)
		}
		if in.Kind == Plain && !bytes.Equal(in.Payload, wire) {
			t.Fatal("plain payload changed")
		}
	})
}

// TestHostileShapes: sizes no real sender produces are refused with a
// reason before any key is used.
func TestHostileShapes(t *testing.T) {
	alice, bob := established(t)
	good := alice.send(bob, "good", DoubleRatchet)
	var base ProtocolMessage
	if err := proto.Unmarshal(good, &base); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("i", 200)
	cases := []struct {
		name   string
		edit   func(pm *ProtocolMessage)
		want   error
		reason string
	}{
		{"long installation id", func(pm *ProtocolMessage) { pm.InstallationId = long }, ErrMalformed, "installation id of 200 bytes"},
		{"many bundles", func(pm *ProtocolMessage) {
			for range 4 {
				pm.Bundles = append(pm.Bundles, pm.Bundles[0])
			}
		}, ErrMalformed, "5 bundles"},
		{"many entries", func(pm *ProtocolMessage) {
			for i := range 16 {
				pm.DirectMessage[strings.Repeat("x", i+1)] = &DirectMessageProtocol{}
			}
		}, ErrMalformed, "17 direct entries"},
		{"long entry id", func(pm *ProtocolMessage) { pm.DirectMessage[long] = &DirectMessageProtocol{} }, ErrMalformed, "entry id of 200 bytes"},
		{"huge payload", func(pm *ProtocolMessage) { pm.DirectMessage["bob-1"].Payload = make([]byte, 2<<20) }, ErrMalformed, "payload of"},
		{"65-byte DR key", func(pm *ProtocolMessage) { pm.DirectMessage["bob-1"].DRHeader.Key = make([]byte, 65) }, ErrMalformed, "DR key of 65 bytes"},
		{"short DR id", func(pm *ProtocolMessage) { pm.DirectMessage["bob-1"].DRHeader.Id = []byte{2} }, ErrMalformed, "key/id of 33/1 bytes"},
		{"X3DH id mismatch", func(pm *ProtocolMessage) {
			pm.DirectMessage["bob-1"].X3DHHeader = &X3DHHeader{Key: pm.DirectMessage["bob-1"].DRHeader.Key, Id: pm.Bundles[0].Identity}
		}, ErrMalformed, "does not match"},
		{"no installation id", func(pm *ProtocolMessage) { pm.InstallationId = "" }, ErrMalformed, "without installation id"},
		{"bundle with 9 installations", func(pm *ProtocolMessage) {
			b := proto.Clone(pm.Bundles[0]).(*Bundle)
			for i := range 8 {
				b.SignedPreKeys[strings.Repeat("d", i+1)] = b.SignedPreKeys["alice-1"]
			}
			pm.Bundles = []*Bundle{b}
		}, ErrBadBundle, "9 installations"},
		{"short signature", func(pm *ProtocolMessage) {
			b := proto.Clone(pm.Bundles[0]).(*Bundle)
			b.SignedPreKeys["alice-2"] = b.SignedPreKeys["alice-1"]
			b.Signature = b.Signature[:64]
			pm.Bundles = []*Bundle{b}
		}, ErrBadBundle, "signature of 64 bytes"},
		{"bundle identity off curve", func(pm *ProtocolMessage) {
			b := proto.Clone(pm.Bundles[0]).(*Bundle)
			b.Identity = append([]byte{3}, bytes.Repeat([]byte{0xff}, 32)...)
			pm.Bundles = []*Bundle{b}
		}, ErrBadBundle, "another identity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pm := proto.Clone(&base).(*ProtocolMessage)
			tc.edit(pm)
			wire, err := proto.Marshal(pm)
			if err != nil {
				t.Fatal(err)
			}
			_, err = bob.p.Decrypt(alice.pub(), wire)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("got %v; want %v with %q", err, tc.want, tc.reason)
			}
		})
	}
	bob.recv(alice, good, "good", DoubleRatchet)
}
