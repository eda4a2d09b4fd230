package encryption

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"fmt"
	"io"
)

const gcmNonceLen = 12

// encryptDH is the DH fallback (PROTOCOL.md §7.7): AES-256-GCM under
// DH(ephemeral, recipient identity), the random nonce appended after the
// sealed bytes, no associated data. It has no forward secrecy; it exists
// for peers whose bundle we do not know.
func encryptDH(to *ecdsa.PublicKey, pt []byte, rand io.Reader) (ephKey, payload []byte, err error) {
	eph, err := newKey(rand)
	if err != nil {
		return nil, nil, err
	}
	key, err := dh(eph, to)
	if err != nil {
		return nil, nil, err
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, nil, err
	}
	nonce := make([]byte, gcmNonceLen)
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, nil, fmt.Errorf("read nonce: %w", err)
	}
	return compress(&eph.PublicKey), append(aead.Seal(nil, nonce, pt, nil), nonce...), nil
}

// decryptDH reverses encryptDH with our identity key.
func decryptDH(ik *ecdsa.PrivateKey, ephKey, payload []byte) ([]byte, error) {
	eph, err := decompress(ephKey)
	if err != nil {
		return nil, fmt.Errorf("%w: DH key: %v", ErrMalformed, err)
	}
	key, err := dh(ik, eph)
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(payload) < gcmNonceLen+aead.Overhead() {
		return nil, fmt.Errorf("%w: DH payload of %d bytes", ErrTampered, len(payload))
	}
	split := len(payload) - gcmNonceLen
	pt, err := aead.Open(nil, payload[split:], payload[:split], nil)
	if err != nil {
		return nil, fmt.Errorf("%w: DH payload: %v", ErrTampered, err)
	}
	return pt, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
