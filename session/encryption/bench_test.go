package encryption

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/ethereum/go-ethereum/crypto/ecies"
)

// benchPayload is the size of a typical one-to-one text message's transit
// payload (a c4 of a short sentence).
var benchPayload = bytes.Repeat([]byte("a"), 200)

// BenchmarkMessage is the cost of protecting and opening one message: the
// double ratchet through the whole Protocol (protobuf, bundle attached,
// sealed state in a memory KV) against the envelope's ECIES alone, in the
// same run. ECIES is the baseline because it is what a one-to-one message
// costs without this layer. Run:
//
//	go test ./session/encryption -run '^$' -bench '^BenchmarkMessage$' -benchtime 3s -count 3
func BenchmarkMessage(b *testing.B) {
	b.Run("ecies", func(b *testing.B) {
		prv := ecies.ImportECDSA(keccakKey(b, "bob-identity"))
		for b.Loop() {
			ct, err := ecies.Encrypt(rand.Reader, &prv.PublicKey, benchPayload, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := prv.Decrypt(ct, nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Messages one way: each is a chain step (HMACs, HKDF, AES-CTR).
	b.Run("double-ratchet", func(b *testing.B) {
		alice, bob := established(b)
		for b.Loop() {
			out, err := alice.p.Encrypt(bob.pub(), benchPayload)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := bob.p.Decrypt(alice.pub(), out.Wire); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Turns taken: every message starts a new chain, a DH ratchet step (two
	// DHs and a new key) on receipt. The worst case of a conversation.
	b.Run("double-ratchet-alternating", func(b *testing.B) {
		alice, bob := established(b)
		from, to := alice, bob
		for b.Loop() {
			out, err := from.p.Encrypt(to.pub(), benchPayload)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := to.p.Decrypt(from.pub(), out.Wire); err != nil {
				b.Fatal(err)
			}
			from, to = to, from
		}
	})
	// The receiving side alone, which is what ingest and catch-up pay on top
	// of opening the envelope: ECIES decryption against Protocol.Decrypt of
	// a message in a running chain.
	b.Run("ecies-decrypt", func(b *testing.B) {
		prv := ecies.ImportECDSA(keccakKey(b, "bob-identity"))
		ct, err := ecies.Encrypt(rand.Reader, &prv.PublicKey, benchPayload, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := prv.Decrypt(ct, nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("double-ratchet-decrypt", func(b *testing.B) {
		alice, bob := established(b)
		wires := make([][]byte, b.N)
		for i := range wires {
			out, err := alice.p.Encrypt(bob.pub(), benchPayload)
			if err != nil {
				b.Fatal(err)
			}
			wires[i] = out.Wire
		}
		b.ResetTimer()
		for i := range b.N {
			if _, err := bob.p.Decrypt(alice.pub(), wires[i]); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The ratchet alone, without protobuf, bundles or stored state.
	b.Run("ratchet-core", func(b *testing.B) {
		sk := bytes.Repeat([]byte{1}, 32)
		spk := keccakKey(b, "bob-signed-prekey")
		a, err := newInitiator(sk, compress(&spk.PublicKey), rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		r := newResponder(sk, spk)
		for b.Loop() {
			h, ct, err := a.encrypt(benchPayload)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.decrypt(h, ct, rand.Reader); err != nil {
				b.Fatal(err)
			}
		}
	})
}
