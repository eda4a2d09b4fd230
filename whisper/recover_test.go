package whisper

import (
	"bytes"
	"math/big"
	mrand "math/rand/v2"
	"sync/atomic"
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
	key0, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, 65)
	check("zero", hash, zero)
	overN := make([]byte, 65)
	n.FillBytes(overN[:32])
	n.FillBytes(overN[32:64])
	check("R and S equal N", hash, overN)
	for half := range 2 { // R or S zero, the other taken from a valid signature
		sig, err := crypto.Sign(hash, key0)
		if err != nil {
			t.Fatal(err)
		}
		clear(sig[half*32 : half*32+32])
		check("R or S zero", hash, sig)
	}
	ones := bytes.Repeat([]byte{0xff}, 65)
	ones[64] = 0
	check("all ones", hash, ones)

	// Hashes the scalar arithmetic reduces: zero (no G term at all), N
	// (zero again mod N) and all ones (above N).
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	allOnes := bytes.Repeat([]byte{0xff}, 32)
	for what, h := range map[string][]byte{"zero hash": make([]byte, 32), "hash N": n.FillBytes(make([]byte, 32)), "hash above N": allOnes} {
		sig, err := crypto.Sign(h, key)
		if err != nil {
			t.Fatal(err)
		}
		check(what, h, sig)
	}

	// Nonce points the joint multiplication meets as its own table
	// entries: R = G and R = −G (the sum passes through doubling and
	// the point at infinity), with S 1 and random.
	gx := crypto.S256().Params().Gx
	gyOdd := byte(crypto.S256().Params().Gy.Bit(0))
	for _, sv := range []*big.Int{big.NewInt(1), new(big.Int).SetBytes(crypto.Keccak256([]byte("s")))} {
		for v := range byte(2) {
			sig := make([]byte, 65)
			gx.FillBytes(sig[:32])
			sv.FillBytes(sig[32:64])
			sig[64] = gyOdd ^ v
			check("R = ±G", hash, sig)
			check("R = ±G, zero hash", make([]byte, 32), sig)
		}
	}

	// Ids 2 and 3 put R's x at r + N, on the curve only for r below
	// P − N: search the first such r, then the first r that lands at
	// or above P.
	p := crypto.S256().Params().P
	found := 0
	for r := int64(1); r < 64 && found < 4; r++ {
		sig := make([]byte, 65)
		big.NewInt(r).FillBytes(sig[:32])
		copy(sig[32:64], crypto.Keccak256([]byte{byte(r)}))
		for v := byte(2); v < 4; v++ {
			sig[64] = v
			if _, err := recoverCgo(hash, sig); err == nil {
				found++
			}
			check("R above N", hash, sig)
		}
	}
	if found == 0 {
		t.Fatal("no small r gave a point at r + N: the ids 2 and 3 went untested")
	}
	pastP := make([]byte, 65)
	new(big.Int).Sub(p, n).FillBytes(pastP[:32])
	copy(pastP[32:64], crypto.Keccak256([]byte("past")))
	for v := byte(2); v < 4; v++ {
		pastP[64] = v
		check("R + N at P", hash, pastP)
	}

	for _, l := range []int{0, 64, 66} {
		if _, err := recoverPureGo(hash, make([]byte, l)); err == nil {
			t.Fatalf("a %d-byte signature recovered a key", l)
		}
	}
}

// signedSamples makes n signatures by n keys over n hashes.
func signedSamples(tb testing.TB, n int) (hashes, sigs [][]byte) {
	tb.Helper()
	for i := range n {
		key, err := crypto.GenerateKey()
		if err != nil {
			tb.Fatal(err)
		}
		hash := crypto.Keccak256([]byte{byte(i), byte(i >> 8)})
		sig, err := crypto.Sign(hash, key)
		if err != nil {
			tb.Fatal(err)
		}
		hashes, sigs = append(hashes, hash), append(sigs, sig)
	}
	return hashes, sigs
}

// BenchmarkRecoverSigners: one signer recovery per op, both ways, on as
// many goroutines as -cpu says, over 64 signatures in turn (one signature
// over and over lets the branch predictor learn its scalars). `-cpu 1,2`
// shows what recover.go is about: the pure-Go code costs less on one
// goroutine and scales on two; cgo does not scale.
func BenchmarkRecoverSigners(b *testing.B) {
	hashes, sigs := signedSamples(b, 64)
	for _, way := range []struct {
		name          string
		recoverSigner signerRecovery
	}{{"cgo", recoverCgo}, {"pure-go", recoverPureGo}} {
		b.Run(way.name, func(b *testing.B) {
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(17))
				for pb.Next() {
					i = (i + 1) % len(sigs)
					if _, err := way.recoverSigner(hashes[i], sigs[i]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// FuzzRecoverMatchesCgo: on any hash and signature bytes, the pool's
// recovery and go-ethereum's agree on failing, and on the key otherwise.
func FuzzRecoverMatchesCgo(f *testing.F) {
	hashes, sigs := signedSamples(f, 1)
	f.Add(hashes[0], sigs[0])
	f.Add(make([]byte, 32), make([]byte, 65))
	f.Fuzz(func(t *testing.T, hash, sig []byte) {
		want, wantErr := recoverCgo(hash, sig)
		got, gotErr := recoverPureGo(hash, sig)
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("go-ethereum err %v, pure Go err %v (hash %x sig %x)", wantErr, gotErr, hash, sig)
		}
		if wantErr == nil && !bytes.Equal(crypto.FromECDSAPub(want), crypto.FromECDSAPub(got)) {
			t.Fatalf("keys differ for hash %x sig %x", hash, sig)
		}
	})
}
