package whisper

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"

	gsecp "github.com/consensys/gnark-crypto/ecc/secp256k1"
	"github.com/consensys/gnark-crypto/ecc/secp256k1/fp"
	"github.com/consensys/gnark-crypto/ecc/secp256k1/fr"
	"github.com/ethereum/go-ethereum/crypto"
)

// Two ways to recover a signer, the same mathematics. go-ethereum's binds
// libsecp256k1 through cgo: a 2020 build with 32-bit limbs and without
// the endomorphism, 173–184 µs a signer on a 2-core VM here. Several
// goroutines calling it at once scale badly: each call outlasts the
// scheduler's system-call grace, so the runtime takes the goroutine's P
// away and hands one back at the end, thread switches on both sides of
// every envelope. The open pool therefore recovers in pure Go, with
// gnark-crypto's secp256k1 (64-bit Montgomery field arithmetic),
// computing r⁻¹·(s·R − e·G) as one joint multiplication: 144–179 µs on
// one goroutine on the same VM, and on two it recovers 1.4 times as many
// signers a second as cgo does (BenchmarkRecoverSigners, -cpu 1,2). A
// reader on its own (a peer's gossip, or a node with one open worker)
// keeps go-ethereum's. TestRecoverPureGoMatchesCgo and
// FuzzRecoverMatchesCgo hold the two to the same answers, on valid and on
// hostile signatures.

// signerRecovery recovers the key that made sig, a 65-byte [R ‖ S ‖ V]
// signature with V 0 or 1, over hash.
type signerRecovery func(hash, sig []byte) (*ecdsa.PublicKey, error)

// recoverCgo is go-ethereum's recovery (libsecp256k1).
func recoverCgo(hash, sig []byte) (*ecdsa.PublicKey, error) {
	return crypto.SigToPub(hash, sig)
}

var (
	errRecoveryID = errors.New("invalid signature recovery id")
	errRecovery   = errors.New("signature recovers no key")
)

// curveB is b in secp256k1's y² = x³ + b.
var curveB = func() (b fp.Element) { b.SetUint64(7); return b }()

// recoverPureGo recovers the signer with gnark-crypto and go-ethereum's
// rules (libsecp256k1's): R and S in [1, N), recovery id below 4, R's x
// below the field prime when the id adds N; the same signatures succeed
// and give the same key.
func recoverPureGo(hash, sig []byte) (*ecdsa.PublicKey, error) {
	if len(sig) != crypto.SignatureLength {
		return nil, fmt.Errorf("signature is %d bytes, want %d", len(sig), crypto.SignatureLength)
	}
	if len(hash) != 32 {
		return nil, fmt.Errorf("hash is %d bytes, want 32", len(hash))
	}
	v := sig[64]
	if v >= 4 {
		return nil, errRecoveryID
	}
	var r, s fr.Element
	if r.SetBytesCanonical(sig[:32]) != nil || s.SetBytesCanonical(sig[32:64]) != nil || r.IsZero() || s.IsZero() {
		return nil, errRecovery
	}

	// R, the signer's nonce point: x is r, or r + N for ids 2 and 3; the
	// id's low bit is y's parity.
	x := new(big.Int).SetBytes(sig[:32])
	if v&2 != 0 {
		if x.Add(x, fr.Modulus()).Cmp(fp.Modulus()) >= 0 {
			return nil, errRecovery
		}
	}
	var R gsecp.G1Affine
	R.X.SetBigInt(x)
	var ySquared fp.Element
	ySquared.Square(&R.X).Mul(&ySquared, &R.X).Add(&ySquared, &curveB)
	if R.Y.Sqrt(&ySquared) == nil {
		return nil, errRecovery // x is not on the curve
	}
	if y := R.Y.Bytes(); y[31]&1 != v&1 {
		R.Y.Neg(&R.Y)
	}

	// Q = r⁻¹·(s·R − e·G) = u1·G + u2·R, with e the hash reduced mod N.
	var e, rInv, u1, u2 fr.Element
	e.SetBytes(hash)
	rInv.Inverse(&r)
	u1.Mul(&e, &rInv).Neg(&u1)
	u2.Mul(&s, &rInv)
	var q gsecp.G1Jac
	q.JointScalarMultiplicationBase(&R, u1.BigInt(new(big.Int)), u2.BigInt(new(big.Int)))
	if q.Z.IsZero() {
		return nil, errRecovery // the point at infinity is no key
	}
	var pub gsecp.G1Affine
	pub.FromJacobian(&q)
	px, py := pub.X.Bytes(), pub.Y.Bytes()
	return &ecdsa.PublicKey{Curve: crypto.S256(), X: new(big.Int).SetBytes(px[:]), Y: new(big.Int).SetBytes(py[:])}, nil
}
