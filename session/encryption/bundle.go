package encryption

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
	"sort"
	"strconv"

	"github.com/ethereum/go-ethereum/crypto"
)

// Limits on a received bundle. A real bundle lists at most MaxInstallations
// devices; the slack lets a peer mid-pairing through while a bundle listing
// hundreds is refused before any signature work.
const (
	maxBundleInstallations = 8
	maxInstallationIDLen   = 128
	maxBundlesPerMessage   = 4
	signatureLen           = 65
)

// bundleMaterial is what the identity key signs (PROTOCOL.md §7.4): for each
// installation id in byte order, id || prekey || decimal(version), then
// decimal(timestamp) when it is not zero. protocol_version is not signed.
func bundleMaterial(b *Bundle) []byte {
	ids := make([]string, 0, len(b.GetSignedPreKeys()))
	for id := range b.GetSignedPreKeys() {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var m bytes.Buffer
	for _, id := range ids {
		spk := b.GetSignedPreKeys()[id]
		m.WriteString(id)
		m.Write(spk.GetSignedPreKey())
		m.WriteString(strconv.FormatUint(uint64(spk.GetVersion()), 10))
	}
	if ts := b.GetTimestamp(); ts != 0 {
		m.WriteString(strconv.FormatInt(ts, 10))
	}
	return m.Bytes()
}

// signBundle sets the identity and signature of b.
func signBundle(b *Bundle, ik *ecdsa.PrivateKey) error {
	b.Identity = compress(&ik.PublicKey)
	sig, err := crypto.Sign(crypto.Keccak256(bundleMaterial(b)), ik)
	if err != nil {
		return fmt.Errorf("sign bundle: %w", err)
	}
	b.Signature = sig
	return nil
}

// verifyBundle checks a received bundle's shape and signature and returns
// its identity key. Errors wrap ErrBadBundle.
func verifyBundle(b *Bundle) (*ecdsa.PublicKey, error) {
	if b == nil {
		return nil, fmt.Errorf("%w: empty", ErrBadBundle)
	}
	ik, err := decompress(b.GetIdentity())
	if err != nil {
		return nil, fmt.Errorf("%w: identity: %v", ErrBadBundle, err)
	}
	n := len(b.GetSignedPreKeys())
	if n == 0 || n > maxBundleInstallations {
		return nil, fmt.Errorf("%w: %d installations (1..%d)", ErrBadBundle, n, maxBundleInstallations)
	}
	for id, spk := range b.GetSignedPreKeys() {
		if id == "" || len(id) > maxInstallationIDLen {
			return nil, fmt.Errorf("%w: installation id of %d bytes", ErrBadBundle, len(id))
		}
		if spk == nil {
			return nil, fmt.Errorf("%w: installation %q has no prekey", ErrBadBundle, id)
		}
		if _, err := decompress(spk.GetSignedPreKey()); err != nil {
			return nil, fmt.Errorf("%w: prekey of %q: %v", ErrBadBundle, id, err)
		}
	}
	if len(b.GetSignature()) != signatureLen {
		return nil, fmt.Errorf("%w: signature of %d bytes", ErrBadBundle, len(b.GetSignature()))
	}
	signer, err := crypto.SigToPub(crypto.Keccak256(bundleMaterial(b)), b.GetSignature())
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrBadBundle, err)
	}
	if crypto.PubkeyToAddress(*signer) != crypto.PubkeyToAddress(*ik) {
		return nil, fmt.Errorf("%w: signed by another key", ErrBadBundle)
	}
	return ik, nil
}
