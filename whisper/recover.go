package whisper

import (
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	decredecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"github.com/ethereum/go-ethereum/crypto"
)

// Two ways to recover a signer, the same mathematics. go-ethereum's binds
// libsecp256k1 through cgo and is the faster one on one goroutine (about
// 118 µs a signer here against 143). Several goroutines calling it at once
// scale badly: each call outlasts the scheduler's system-call grace, so
// the runtime takes the goroutine's P away and hands one back at the end,
// thread switches on both sides of every envelope. On 2 cores, 2
// goroutines recovered about 11,800 signers a second through cgo and
// 13,600 with decred's pure-Go code, which scales with the cores
// (BenchmarkRecoverSigners, -cpu 1,2). The open pool therefore uses
// decred's; a reader on its own (a peer's gossip, or a node with one open
// worker) keeps go-ethereum's. TestRecoverPureGoMatchesCgo holds the two
// to the same answers.

// signerRecovery recovers the key that made sig, a 65-byte [R ‖ S ‖ V]
// signature with V 0 or 1, over hash.
type signerRecovery func(hash, sig []byte) (*ecdsa.PublicKey, error)

// recoverCgo is go-ethereum's recovery (libsecp256k1).
func recoverCgo(hash, sig []byte) (*ecdsa.PublicKey, error) {
	return crypto.SigToPub(hash, sig)
}

var errRecoveryID = errors.New("invalid signature recovery id")

// recoverPureGo is decred's recovery, with go-ethereum's checks: the same
// signatures succeed and give the same key.
func recoverPureGo(hash, sig []byte) (*ecdsa.PublicKey, error) {
	if len(sig) != crypto.SignatureLength {
		return nil, fmt.Errorf("signature is %d bytes, want %d", len(sig), crypto.SignatureLength)
	}
	if len(hash) != 32 {
		return nil, fmt.Errorf("hash is %d bytes, want 32", len(hash))
	}
	if sig[64] >= 4 {
		return nil, errRecoveryID
	}
	// decred's compact form: a header byte 27 + recovery id (no 4: the
	// key is returned uncompressed either way), then R and S.
	var compact [65]byte
	compact[0] = 27 + sig[64]
	copy(compact[1:], sig[:64])
	pub, _, err := decredecdsa.RecoverCompact(compact[:], hash)
	if err != nil {
		return nil, err
	}
	return toECDSA(pub), nil
}

// toECDSA gives pub on go-ethereum's curve, as crypto.SigToPub returns it.
func toECDSA(pub *secp256k1.PublicKey) *ecdsa.PublicKey {
	return &ecdsa.PublicKey{Curve: crypto.S256(), X: pub.X(), Y: pub.Y()}
}
