package whisper

import (
	"bytes"
	"math/big"
	mrand "math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

// The pool's recovery must accept exactly the signatures go-ethereum's
// accepts and give the same key: a signer is who a message is from.
func TestRecoverPureGoMatchesCgo(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(1, 2))
	n := crypto.S256().Params().N
	check := func(what string, hash, sig []byte) {
		t.Helper()
		want, wantErr := recoverCgo(hash, sig)
		got, gotErr := recoverPureGo(hash, sig)
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("%s: go-ethereum err %v, pure Go err %v (sig %x)", what, wantErr, gotErr, sig)
		}
		if wantErr != nil {
			return
		}
		if !bytes.Equal(crypto.FromECDSAPub(want), crypto.FromECDSAPub(got)) {
			t.Fatalf("%s: keys differ: %x against %x", what, crypto.FromECDSAPub(want), crypto.FromECDSAPub(got))
		}
	}
	for i := range 200 {
		key, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		hash := make([]byte, 32)
		for j := range hash {
			hash[j] = byte(rng.Uint32())
		}
		sig, err := crypto.Sign(hash, key)
		if err != nil {
			t.Fatal(err)
		}
		check("valid", hash, sig)
		if got, _ := recoverPureGo(hash, sig); !bytes.Equal(crypto.FromECDSAPub(got), crypto.FromECDSAPub(&key.PublicKey)) {
			t.Fatalf("signature %d: recovered another key", i)
		}

		// The same signature with S above N/2 (the other valid S).
		high := bytes.Clone(sig)
		s := new(big.Int).Sub(n, new(big.Int).SetBytes(sig[32:64]))
		s.FillBytes(high[32:64])
		high[64] ^= 1
		check("high S", hash, high)

		// Tampered: another hash, a flipped bit in R or S, every recovery id.
		other := bytes.Clone(hash)
		other[rng.IntN(32)] ^= 1 << rng.IntN(8)
		check("other hash", other, sig)
		flipped := bytes.Clone(sig)
		flipped[rng.IntN(64)] ^= 1 << rng.IntN(8)
		check("flipped bit", hash, flipped)
		for v := range 6 {
			bad := bytes.Clone(sig)
			bad[64] = byte(v)
			check("recovery id", hash, bad)
		}
	}
	hash := crypto.Keccak256([]byte("edge"))
	zero := make([]byte, 65)
	check("zero", hash, zero)
	overN := make([]byte, 65)
	n.FillBytes(overN[:32])
	n.FillBytes(overN[32:64])
	check("R and S equal N", hash, overN)
	ones := bytes.Repeat([]byte{0xff}, 65)
	ones[64] = 0
	check("all ones", hash, ones)
	for _, l := range []int{0, 64, 66} {
		if _, err := recoverPureGo(hash, make([]byte, l)); err == nil {
			t.Fatalf("a %d-byte signature recovered a key", l)
		}
	}
}

// BenchmarkRecoverSigners: one signer recovery per op, both ways, on as
// many goroutines as -cpu says. `-cpu 1,2` shows what recover.go is about:
// on one goroutine cgo is faster, on two the pure-Go code scales and cgo
// does not.
func BenchmarkRecoverSigners(b *testing.B) {
	key, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	hash := crypto.Keccak256([]byte("a line"))
	sig, err := crypto.Sign(hash, key)
	if err != nil {
		b.Fatal(err)
	}
	for _, way := range []struct {
		name          string
		recoverSigner signerRecovery
	}{{"cgo", recoverCgo}, {"pure-go", recoverPureGo}} {
		b.Run(way.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := way.recoverSigner(hash, sig); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
