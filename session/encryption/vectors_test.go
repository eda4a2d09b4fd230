package encryption

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/ecies"
	"google.golang.org/protobuf/proto"
)

// The vectors of PROTOCOL.md §7.10. They come from the 2019 implementation
// (upstream test vectors, or its library run on the inputs named here).

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func keccakKey(t testing.TB, seed string) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte(seed)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func deterministic(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWireVectors(t *testing.T) {
	inst1 := &ProtocolMessage{
		InstallationId: "inst-1",
		Bundles: []*Bundle{{
			Identity:      []byte{0x02, 0xaa, 0xaa},
			SignedPreKeys: map[string]*SignedPreKey{"inst-1": {SignedPreKey: []byte{0x03, 0xbb, 0xbb}, Version: 1, ProtocolVersion: 1}},
			Signature:     []byte{0xcc, 0xcc},
			Timestamp:     1565000000000000000,
		}},
		PublicMessage: []byte("hi"),
	}
	x3dhEntry := &DirectMessageProtocol{
		X3DHHeader: &X3DHHeader{Key: []byte{0x02, 0xee}, Id: []byte{0x03, 0xdd}},
		DRHeader:   &DRHeader{Key: []byte{0x02, 0xff}, N: 0, Pn: 0, Id: []byte{0x03, 0xdd}},
		Payload:    []byte{0x01, 0x02},
	}
	dhEntry := &DirectMessageProtocol{DHHeader: &DHHeader{Key: []byte{0x02, 0x11}}, Payload: []byte{0x03, 0x04}}
	direct := &ProtocolMessage{
		InstallationId: "inst-a",
		DirectMessage:  map[string]*DirectMessageProtocol{"inst-b": x3dhEntry, "none": dhEntry},
	}
	const directHex = "1206696e73742d61" +
		"aa06220a06696e73742d6212180a080a0202ee220203dd12080a0202ff220203dd1a020102" +
		"aa06130a046e6f6e65120b1a020304aa06040a020211"
	tests := []struct {
		name string
		want *ProtocolMessage
		hex  string
	}{
		{"bundle and public message", inst1, "1206696e73742d311a280a0302aaaa12130a06696e73742d3112090a0303bbbb100118012202cccc288080f28bd5e6ffdb15b206026869"},
		{"X3DH+DR and DH entries", direct, directHex},
		// The map entries one at a time: no ordering question at all.
		{"X3DH+DR entry alone", &ProtocolMessage{InstallationId: "inst-a", DirectMessage: map[string]*DirectMessageProtocol{"inst-b": x3dhEntry}},
			"1206696e73742d61aa06220a06696e73742d6212180a080a0202ee220203dd12080a0202ff220203dd1a020102"},
		{"DH entry alone", &ProtocolMessage{InstallationId: "inst-a", DirectMessage: map[string]*DirectMessageProtocol{"none": dhEntry}},
			"1206696e73742d61aa06130a046e6f6e65120b1a020304aa06040a020211"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wire := unhex(t, tc.hex)
			var got ProtocolMessage
			if err := proto.Unmarshal(wire, &got); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !proto.Equal(&got, tc.want) {
				t.Fatalf("decoded %v\nwant    %v", &got, tc.want)
			}
			if enc := deterministic(t, tc.want); !bytes.Equal(enc, wire) {
				t.Fatalf("encoded %x\nwant    %x", enc, wire)
			}
			if enc := deterministic(t, &got); !bytes.Equal(enc, wire) {
				t.Fatalf("re-encoded %x\nwant       %x", enc, wire)
			}
		})
	}
	// The second entry order of the map is also valid input.
	swapped := unhex(t, "1206696e73742d61"+
		"aa06130a046e6f6e65120b1a020304aa06040a020211"+
		"aa06220a06696e73742d6212180a080a0202ee220203dd12080a0202ff220203dd1a020102")
	var got ProtocolMessage
	if err := proto.Unmarshal(swapped, &got); err != nil || !proto.Equal(&got, direct) {
		t.Fatalf("swapped map order: %v, %v", err, &got)
	}
}

// TestWireDeprecatedBundle: field 1, the single bundle of clients before
// mid-2019, still decodes.
func TestWireDeprecatedBundle(t *testing.T) {
	b := &Bundle{Identity: []byte{0x02, 0xaa}, Timestamp: 7}
	inner := deterministic(t, b)
	wire := append([]byte{0x0a, byte(len(inner))}, inner...)
	wire = append(wire, 0x12, 0x01, 'x')
	var m ProtocolMessage
	if err := proto.Unmarshal(wire, &m); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(m.GetBundle(), b) || m.GetInstallationId() != "x" {
		t.Fatalf("got %v", &m)
	}
}

func TestBundleSignatureVector(t *testing.T) {
	ik := keccakKey(t, "bob-identity")
	if h := hex.EncodeToString(crypto.FromECDSA(ik)); !strings.HasPrefix(h, "14d137e1") || !strings.HasSuffix(h, "cb5e") {
		t.Fatalf("IK = %s, want 14d137e1…cb5e", h)
	}
	spk1 := compress(&keccakKey(t, "bob-signed-prekey").PublicKey)
	if got, want := hex.EncodeToString(spk1), "02d952b8178f20980fed3bede304b283c01c678f528c602e1518400b9f5c6455c9"; got != want {
		t.Fatalf("SPK inst-b-1 = %s, want %s", got, want)
	}
	spk2 := compress(&keccakKey(t, "spk2").PublicKey)
	b := &Bundle{
		SignedPreKeys: map[string]*SignedPreKey{
			"inst-b-2": {SignedPreKey: spk2, ProtocolVersion: 1},
			"inst-b-1": {SignedPreKey: spk1},
		},
		Timestamp: 1565000000000000000,
	}
	var want bytes.Buffer
	want.WriteString("inst-b-1")
	want.Write(spk1)
	want.WriteString("0inst-b-2")
	want.Write(spk2)
	want.WriteString("0" + "1565000000000000000")
	if got := bundleMaterial(b); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("material %x\nwant     %x", got, want.Bytes())
	}
	if err := signBundle(b, ik); err != nil {
		t.Fatal(err)
	}
	sig := hex.EncodeToString(b.Signature)
	if !strings.HasPrefix(sig, "9f57be17") || !strings.HasSuffix(sig, "d598e600") {
		t.Fatalf("signature %s, want 9f57be17…d598e600", sig)
	}
	signer, err := verifyBundle(b)
	if err != nil || !signer.Equal(&ik.PublicKey) {
		t.Fatalf("verify: %v", err)
	}
	// protocol_version is not signed; everything else is.
	b.SignedPreKeys["inst-b-1"].ProtocolVersion = 9
	if _, err := verifyBundle(b); err != nil {
		t.Fatalf("protocol_version changed the material: %v", err)
	}
	for name, tamper := range map[string]func(*Bundle){
		"timestamp": func(b *Bundle) { b.Timestamp++ },
		"version":   func(b *Bundle) { b.SignedPreKeys["inst-b-2"].Version = 1 },
		"prekey":    func(b *Bundle) { b.SignedPreKeys["inst-b-2"].SignedPreKey = spk1 },
		"id": func(b *Bundle) {
			b.SignedPreKeys["inst-b-3"] = b.SignedPreKeys["inst-b-2"]
			delete(b.SignedPreKeys, "inst-b-2")
		},
	} {
		c := proto.Clone(b).(*Bundle)
		tamper(c)
		if _, err := verifyBundle(c); !errors.Is(err, ErrBadBundle) {
			t.Errorf("%s changed: verify gave %v, want ErrBadBundle", name, err)
		}
	}
}

func TestX3DHVector(t *testing.T) {
	key := func(s string) *ecdsa.PrivateKey {
		k, err := crypto.ToECDSA([]byte(strings.Repeat(s, 32)))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	ikA, ekA, ikB, spkB := key("0"), key("1"), key("2"), key("3")
	const want = "a4e923d0af8fe78a056363be20e71c0a58e569ea8fc1f79289eca10d9f68133a"
	active, err := x3dhActive(ikA, ekA, &ikB.PublicKey, &spkB.PublicKey)
	if err != nil || hex.EncodeToString(active) != want {
		t.Fatalf("active: %x, %v; want %s", active, err, want)
	}
	passive, err := x3dhPassive(ikB, spkB, &ikA.PublicKey, &ekA.PublicKey)
	if err != nil || hex.EncodeToString(passive) != want {
		t.Fatalf("passive: %x, %v; want %s", passive, err, want)
	}
}

func TestDoubleRatchetVector(t *testing.T) {
	ikA, ekA := keccakKey(t, "alice-identity"), keccakKey(t, "alice-ephemeral")
	ikB, spkB := keccakKey(t, "bob-identity"), keccakKey(t, "bob-signed-prekey")
	sk, err := x3dhActive(ikA, ekA, &ikB.PublicKey, &spkB.PublicKey)
	if err != nil || hex.EncodeToString(sk) != "9b603ffa1197b497a82af88a533c52b2e4ebfe3fab8c81442be67de357794f52" {
		t.Fatalf("SK = %x, %v", sk, err)
	}
	ratchet0 := crypto.Keccak256([]byte("alice-ratchet-0"))
	alice, err := newInitiator(sk, compress(&spkB.PublicKey), bytes.NewReader(ratchet0))
	if err != nil {
		t.Fatal(err)
	}
	const alicePub = "037d6dc432b6b3c48ccb1d690add9d73f69005e206ba016fe703acd7ac2828d51d"
	if got := hex.EncodeToString(alice.dhsPub); got != alicePub {
		t.Fatalf("Alice's ratchet key %s, want %s", got, alicePub)
	}
	// mk0, step by step from the KDFs.
	out, err := dh(alice.dhs, &spkB.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	_, ck := kdfRK(sk, out)
	_, mk0 := kdfCK(ck)
	if got := hex.EncodeToString(mk0); got != "1ba0a7e1186852c0f25182a0e5dcdc5267aced70b54c6d4906d54c34de17569c" {
		t.Fatalf("mk0 = %s", got)
	}
	h, ct, err := alice.encrypt([]byte("hello bob"))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(h.encode()); got != "0000000000000000"+alicePub {
		t.Fatalf("AD = %s", got)
	}
	const wantCT = "89b9db541a278cd50a18608fdc2fe1d3e47a99b60f552e58ea0e56cfba9ca37a9ad0cc09c79f0650e533516354e84a86d3ab104d72f4c7c828"
	if got := hex.EncodeToString(ct); got != wantCT {
		t.Fatalf("ciphertext %s\nwant       %s", got, wantCT)
	}

	// Bob opens it from the passive side, answers, and Alice reads the answer.
	skB, err := x3dhPassive(ikB, spkB, &ikA.PublicKey, &ekA.PublicKey)
	if err != nil || !bytes.Equal(skB, sk) {
		t.Fatalf("passive SK %x, %v", skB, err)
	}
	bob := newResponder(skB, spkB)
	rnd := bytes.NewReader(crypto.Keccak256([]byte("bob-ratchet-1")))
	pt, err := bob.decrypt(h, unhex(t, wantCT), rnd)
	if err != nil || string(pt) != "hello bob" {
		t.Fatalf("Bob read %q, %v", pt, err)
	}
	h2, ct2, err := bob.encrypt([]byte("hello alice"))
	if err != nil {
		t.Fatal(err)
	}
	pt, err = alice.decrypt(h2, ct2, bytes.NewReader(crypto.Keccak256([]byte("alice-ratchet-1"))))
	if err != nil || string(pt) != "hello alice" {
		t.Fatalf("Alice read %q, %v", pt, err)
	}
}

// TestDHFallbackVector checks the fallback against a computation from the
// library primitives directly (ecies.GenerateShared, AES-GCM, nonce at the
// end), then pins the bytes for the fixed ephemeral key and nonce.
func TestDHFallbackVector(t *testing.T) {
	recipient := keccakKey(t, "bob-identity")
	ephSeed := crypto.Keccak256([]byte("alice-dh-ephemeral"))
	nonce := unhex(t, "000102030405060708090a0b")
	rnd := bytes.NewReader(append(append([]byte{}, ephSeed...), nonce...))
	pt := []byte("hello bob")
	ephKey, payload, err := encryptDH(&recipient.PublicKey, pt, rnd)
	if err != nil {
		t.Fatal(err)
	}

	eph, _ := crypto.ToECDSA(ephSeed)
	if !bytes.Equal(ephKey, crypto.CompressPubkey(&eph.PublicKey)) {
		t.Fatalf("ephemeral key %x", ephKey)
	}
	key, err := ecies.ImportECDSA(eph).GenerateShared(ecies.ImportECDSAPublic(&recipient.PublicKey), 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	want := append(aead.Seal(nil, nonce, pt, nil), nonce...)
	if !bytes.Equal(payload, want) {
		t.Fatalf("payload %x\nwant    %x", payload, want)
	}
	const pinned = "954f843aa79aa5cab3862e58edcefd67d296b19500728dcab9000102030405060708090a0b"
	if got := hex.EncodeToString(payload); got != pinned {
		t.Errorf("payload %s, pinned %s", got, pinned)
	}
	got, err := decryptDH(recipient, ephKey, payload)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("decrypt %q, %v", got, err)
	}
	payload[0] ^= 1
	if _, err := decryptDH(recipient, ephKey, payload); !errors.Is(err, ErrTampered) {
		t.Fatalf("tampered: %v", err)
	}
}
