package encryption

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/ecies"
)

// keyLen is the length of every public key on the wire: compressed secp256k1.
const keyLen = 33

// dh is the one Diffie-Hellman of the layer (PROTOCOL.md §7.3): the 32-byte
// X coordinate of priv·pub on secp256k1, left-padded, with no hash on top.
// X3DH, the double ratchet and the DH fallback all use it.
func dh(priv *ecdsa.PrivateKey, pub *ecdsa.PublicKey) ([]byte, error) {
	// 16+16 asks GenerateShared for exactly the 32 bytes of X.
	return ecies.ImportECDSA(priv).GenerateShared(ecies.ImportECDSAPublic(pub), 16, 16)
}

// compress returns the 33-byte wire form of a public key: the parity of Y,
// then X. Written out rather than through cgo, since it runs on every
// message.
func compress(pub *ecdsa.PublicKey) []byte {
	b := make([]byte, keyLen)
	b[0] = 2 | byte(pub.Y.Bit(0))
	pub.X.FillBytes(b[1:])
	return b
}

// usableKey tells whether pub can be compressed: present and 256-bit. The
// envelope layer hands over only keys it recovered from a signature, so
// this guards against a caller's mistake, not the network.
func usableKey(pub *ecdsa.PublicKey) bool {
	return pub != nil && pub.X != nil && pub.Y != nil && pub.X.BitLen() <= 256 && pub.X.Sign() > 0
}

// decompress parses a wire key, refusing anything that is not exactly a
// compressed point on the curve.
func decompress(b []byte) (*ecdsa.PublicKey, error) {
	if len(b) != keyLen {
		return nil, fmt.Errorf("key is %d bytes, want %d", len(b), keyLen)
	}
	pub, err := crypto.DecompressPubkey(b)
	if err != nil {
		return nil, fmt.Errorf("key is not a curve point: %w", err)
	}
	return pub, nil
}

// newKey makes a secp256k1 key from r. It reads the scalar itself rather
// than through ecdsa.GenerateKey so that a fixed reader gives fixed keys in
// tests (the test vectors need that).
func newKey(r io.Reader) (*ecdsa.PrivateKey, error) {
	var b [32]byte
	for range 64 {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("read key: %w", err)
		}
		// ToECDSA refuses zero and scalars ≥ N; try again on those.
		if k, err := crypto.ToECDSA(b[:]); err == nil {
			return k, nil
		}
	}
	return nil, errors.New("random source gives no valid keys")
}
