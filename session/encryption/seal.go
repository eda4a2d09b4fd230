package encryption

import (
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/crypto"
	"golang.org/x/crypto/hkdf"
)

// sealer protects what the layer puts in the KV (PROTOCOL.md §7.10): values
// are AES-256-GCM under a key derived from the identity key, bound to the
// slot they are stored in; names are keyed hashes.
type sealer struct {
	aead  cipher.AEAD
	names []byte
	rand  io.Reader

	mu    sync.Mutex
	cache map[string]string // part → its hash; the same few recur on every message
}

func newSealer(ik *ecdsa.PrivateKey, rand io.Reader) (*sealer, error) {
	secret := crypto.FromECDSA(ik)
	derive := func(info string) []byte {
		k := make([]byte, 32)
		if _, err := io.ReadFull(hkdf.New(sha256.New, secret, nil, []byte(info)), k); err != nil {
			panic(err)
		}
		return k
	}
	aead, err := newGCM(derive("hush encryption: sealed state v1"))
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead, names: derive("hush encryption: state names v1"), rand: rand, cache: map[string]string{}}, nil
}

// name hashes each part; parts are joined with "/" so that a prefix of
// parts is a prefix of the name.
func (s *sealer) name(parts ...string) string {
	out := make([]string, len(parts))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range parts {
		h, ok := s.cache[p]
		if !ok {
			m := hmac.New(sha256.New, s.names)
			m.Write([]byte(p))
			h = hex.EncodeToString(m.Sum(nil)[:16])
			if len(s.cache) >= cacheMax {
				clear(s.cache)
			}
			s.cache[p] = h
		}
		out[i] = h
	}
	return strings.Join(out, "/")
}

func (s *sealer) seal(ns, name string, value []byte) ([]byte, error) {
	nonce := make([]byte, gcmNonceLen, gcmNonceLen+len(value)+s.aead.Overhead())
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return nil, fmt.Errorf("read nonce: %w", err)
	}
	return s.aead.Seal(nonce, nonce, value, []byte(ns+"\x00"+name)), nil
}

var errUnseal = errors.New("stored value does not open (wrong identity key, or damaged)")

func (s *sealer) open(ns, name string, sealed []byte) ([]byte, error) {
	if len(sealed) < gcmNonceLen+s.aead.Overhead() {
		return nil, errUnseal
	}
	v, err := s.aead.Open(nil, sealed[:gcmNonceLen], sealed[gcmNonceLen:], []byte(ns+"\x00"+name))
	if err != nil {
		return nil, errUnseal
	}
	return v, nil
}
