package encryption

import (
	"crypto/ecdsa"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"
)

// x3dhActive is the initiator's side of X3DH (PROTOCOL.md §7.5). There is
// no one-time prekey, so three DHs make the secret.
func x3dhActive(ik, ek *ecdsa.PrivateKey, theirIK, theirSPK *ecdsa.PublicKey) ([]byte, error) {
	return x3dh([]dhPair{{ik, theirSPK}, {ek, theirIK}, {ek, theirSPK}})
}

// x3dhPassive is the responder's side; it gives the initiator's secret.
func x3dhPassive(ik, spk *ecdsa.PrivateKey, theirIK, theirEK *ecdsa.PublicKey) ([]byte, error) {
	return x3dh([]dhPair{{spk, theirIK}, {ik, theirEK}, {spk, theirEK}})
}

type dhPair struct {
	priv *ecdsa.PrivateKey
	pub  *ecdsa.PublicKey
}

// x3dh is keccak256 over the concatenated DH outputs, in order.
func x3dh(pairs []dhPair) ([]byte, error) {
	material := make([]byte, 0, 32*len(pairs))
	for i, p := range pairs {
		s, err := dh(p.priv, p.pub)
		if err != nil {
			return nil, fmt.Errorf("x3dh step %d: %w", i+1, err)
		}
		material = append(material, s...)
	}
	return crypto.Keccak256(material), nil
}
