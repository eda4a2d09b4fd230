package encryption

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/ethereum/go-ethereum/crypto"
)

// Limits of the double ratchet (PROTOCOL.md §7.6).
const (
	// MaxSkip is how many messages one header may skip in a chain.
	MaxSkip = 1000
	// MaxKeep is how many received messages a skipped key outlives.
	MaxKeep = 3000
	// MaxSkippedKeys caps the skipped keys one session holds.
	MaxSkippedKeys = 2000
	// pastKeysKept is how many earlier remote ratchet keys a session
	// remembers, so that a replay on an old chain is told apart from a
	// forgery.
	pastKeysKept = 64
	pastKeyLen   = 8
)

// ratchet is one double ratchet: secp256k1 DH, the KDFs of kdf.go. It knows
// nothing of sessions, installations or storage.
type ratchet struct {
	rk, cks, ckr []byte // root, sending and receiving chain keys; nil when a chain does not exist yet
	ns, nr, pn   uint32
	dhs          *ecdsa.PrivateKey
	dhsPub       []byte // compressed public half of dhs
	dhr          []byte // compressed remote ratchet key; nil until the first message arrives
	skipped      map[skipID]skippedKey
	past         [][]byte // prefixes of earlier remote ratchet keys, newest last
	recv         uint32   // messages received; ages skipped keys
}

// skipID names a skipped key: the remote ratchet key and the message number.
type skipID [keyLen + 4]byte

type skippedKey struct {
	mk  []byte
	seq uint32 // value of recv when it was skipped
}

func makeSkipID(dhKey []byte, n uint32) skipID {
	var id skipID
	copy(id[:keyLen], dhKey)
	binary.BigEndian.PutUint32(id[keyLen:], n)
	return id
}

// newInitiator starts the side that ran active X3DH: it already knows the
// responder's ratchet key (its signed prekey) and can send at once.
func newInitiator(sk, theirKey []byte, rand io.Reader) (*ratchet, error) {
	remote, err := decompress(theirKey)
	if err != nil {
		return nil, err
	}
	dhs, err := newKey(rand)
	if err != nil {
		return nil, err
	}
	out, err := dh(dhs, remote)
	if err != nil {
		return nil, err
	}
	r := &ratchet{dhs: dhs, dhsPub: compress(&dhs.PublicKey), dhr: theirKey, skipped: map[skipID]skippedKey{}}
	r.rk, r.cks = kdfRK(sk, out)
	return r, nil
}

// newResponder starts the side that ran passive X3DH; its first ratchet key
// is its signed prekey. It can send only once it has received.
func newResponder(sk []byte, spk *ecdsa.PrivateKey) *ratchet {
	return &ratchet{rk: sk, dhs: spk, dhsPub: compress(&spk.PublicKey), skipped: map[skipID]skippedKey{}}
}

var errCannotSend = errors.New("session has no sending chain yet")

// encrypt steps the sending chain and seals pt under the new message key.
func (r *ratchet) encrypt(pt []byte) (header, []byte, error) {
	if r.cks == nil {
		return header{}, nil, errCannotSend
	}
	h := header{DH: r.dhsPub, N: r.ns, PN: r.pn}
	var mk []byte
	r.cks, mk = kdfCK(r.cks)
	r.ns++
	return h, sealMessage(mk, pt, h.encode()), nil
}

// decrypt opens a message. The state changes only when the message
// authenticates, so a forged, replayed or over-skipping message leaves the
// session as it was. A used message key is forgotten at once.
func (r *ratchet) decrypt(h header, ct []byte, rand io.Reader) ([]byte, error) {
	id := makeSkipID(h.DH, h.N)
	if s, ok := r.skipped[id]; ok {
		pt, err := openMessage(s.mk, ct, h.encode())
		if err != nil {
			return nil, err
		}
		delete(r.skipped, id)
		r.recv++
		r.age()
		return pt, nil
	}

	n := *r // scalar state; skipped keys found on the way wait in pend
	var pend []pendingKey
	var err error
	if bytes.Equal(h.DH, n.dhr) {
		if h.N < n.nr {
			return nil, fmt.Errorf("%w: message %d of the current chain, which is at %d", ErrReplay, h.N, n.nr)
		}
	} else {
		if n.sawKey(h.DH) {
			return nil, fmt.Errorf("%w: message %d of an earlier chain", ErrReplay, h.N)
		}
		if n.ckr != nil {
			if pend, err = n.skip(h.PN, pend); err != nil {
				return nil, err
			}
		}
		if err := n.step(h.DH, rand); err != nil {
			return nil, err
		}
	}
	if pend, err = n.skip(h.N, pend); err != nil {
		return nil, err
	}
	var mk []byte
	n.ckr, mk = kdfCK(n.ckr)
	n.nr++
	pt, err := openMessage(mk, ct, h.encode())
	if err != nil {
		return nil, err
	}
	n.recv++
	for _, p := range pend {
		n.skipped[p.id] = skippedKey{mk: p.mk, seq: n.recv}
	}
	*r = n
	r.age()
	return pt, nil
}

type pendingKey struct {
	id skipID
	mk []byte
}

// skip derives the keys of the receiving chain up to message until.
func (r *ratchet) skip(until uint32, pend []pendingKey) ([]pendingKey, error) {
	if until <= r.nr {
		return pend, nil
	}
	if until-r.nr > MaxSkip {
		return nil, fmt.Errorf("%w: %d in one chain (max %d)", ErrTooManySkipped, until-r.nr, MaxSkip)
	}
	if r.ckr == nil {
		return pend, nil
	}
	for r.nr < until {
		var mk []byte
		r.ckr, mk = kdfCK(r.ckr)
		pend = append(pend, pendingKey{id: makeSkipID(r.dhr, r.nr), mk: mk})
		r.nr++
	}
	return pend, nil
}

// step is the DH ratchet: a new receiving chain from the peer's new key,
// then a new key of ours and a new sending chain.
func (r *ratchet) step(theirKey []byte, rand io.Reader) error {
	remote, err := decompress(theirKey)
	if err != nil {
		return fmt.Errorf("%w: ratchet key: %v", ErrMalformed, err)
	}
	if r.dhr != nil {
		past := make([][]byte, 0, pastKeysKept)
		if len(r.past) >= pastKeysKept {
			past = append(past, r.past[len(r.past)-pastKeysKept+1:]...)
		} else {
			past = append(past, r.past...)
		}
		r.past = append(past, bytes.Clone(r.dhr[:pastKeyLen+1])[1:])
	}
	recvOut, err := dh(r.dhs, remote)
	if err != nil {
		return err
	}
	r.pn, r.ns, r.nr = r.ns, 0, 0
	r.dhr = theirKey
	r.rk, r.ckr = kdfRK(r.rk, recvOut)
	if r.dhs, err = newKey(rand); err != nil {
		return err
	}
	r.dhsPub = compress(&r.dhs.PublicKey)
	sendOut, err := dh(r.dhs, remote)
	if err != nil {
		return err
	}
	r.rk, r.cks = kdfRK(r.rk, sendOut)
	return nil
}

// sawKey tells whether key was the remote ratchet key of an earlier chain.
func (r *ratchet) sawKey(key []byte) bool {
	if len(key) != keyLen {
		return false
	}
	for _, p := range r.past {
		if bytes.Equal(p, key[1:pastKeyLen+1]) {
			return true
		}
	}
	return false
}

// age forgets skipped keys older than MaxKeep received messages, and the
// oldest ones beyond MaxSkippedKeys.
func (r *ratchet) age() {
	if len(r.skipped) == 0 {
		return
	}
	for id, s := range r.skipped {
		if r.recv-s.seq >= MaxKeep {
			delete(r.skipped, id)
		}
	}
	for len(r.skipped) > MaxSkippedKeys {
		var oldest skipID
		first := true
		var min uint32
		for id, s := range r.skipped {
			if first || s.seq < min || (s.seq == min && bytes.Compare(id[:], oldest[:]) < 0) {
				oldest, min, first = id, s.seq, false
			}
		}
		delete(r.skipped, oldest)
	}
}

// ratchetState is the stored form of a ratchet (sealed before it is
// stored). The skipped keys are not in it: they travel as packed records
// beside it (see sessionState), since JSON would be slow for thousands.
type ratchetState struct {
	RK, CKs, CKr []byte `json:",omitempty"`
	Ns, Nr, PN   uint32
	DHs          []byte
	DHsPub       []byte
	DHr          []byte `json:",omitempty"`
	Past         []byte `json:",omitempty"` // prefixes of pastKeyLen bytes
	Recv         uint32
}

// skipRecordLen: remote key 33, n 4, seq 4, message key 32.
const skipRecordLen = keyLen + 4 + 4 + 32

func (r *ratchet) state() ratchetState {
	s := ratchetState{RK: r.rk, CKs: r.cks, CKr: r.ckr, Ns: r.ns, Nr: r.nr, PN: r.pn,
		DHs: crypto.FromECDSA(r.dhs), DHsPub: r.dhsPub, DHr: r.dhr, Recv: r.recv}
	for _, p := range r.past {
		s.Past = append(s.Past, p...)
	}
	return s
}

// appendSkipped packs the skipped keys.
func (r *ratchet) appendSkipped(b []byte) []byte {
	for id, k := range r.skipped {
		b = append(b, id[:]...)
		b = binary.BigEndian.AppendUint32(b, k.seq)
		b = append(b, k.mk...)
	}
	return b
}

func (s ratchetState) ratchet(skipped []byte) (*ratchet, error) {
	if len(s.DHs) != 32 || len(s.DHsPub) != keyLen || (s.DHr != nil && len(s.DHr) != keyLen) ||
		len(s.RK) != 32 || (s.CKs != nil && len(s.CKs) != 32) || (s.CKr != nil && len(s.CKr) != 32) {
		return nil, errors.New("stored ratchet is damaged")
	}
	if len(skipped)%skipRecordLen != 0 || len(s.Past)%pastKeyLen != 0 {
		return nil, errors.New("stored ratchet is truncated")
	}
	// The public half is stored, so loading costs no curve multiplication;
	// dh needs only D.
	dhs := &ecdsa.PrivateKey{PublicKey: ecdsa.PublicKey{Curve: crypto.S256()}, D: new(big.Int).SetBytes(s.DHs)}
	r := &ratchet{rk: s.RK, cks: s.CKs, ckr: s.CKr, ns: s.Ns, nr: s.Nr, pn: s.PN,
		dhs: dhs, dhsPub: s.DHsPub, dhr: s.DHr, recv: s.Recv,
		skipped: make(map[skipID]skippedKey, len(skipped)/skipRecordLen)}
	for b := skipped; len(b) > 0; b = b[skipRecordLen:] {
		var id skipID
		copy(id[:], b)
		r.skipped[id] = skippedKey{seq: binary.BigEndian.Uint32(b[len(id):]), mk: b[len(id)+4 : skipRecordLen : skipRecordLen]}
	}
	for b := s.Past; len(b) > 0; b = b[pastKeyLen:] {
		r.past = append(r.past, b[:pastKeyLen:pastKeyLen])
	}
	return r, nil
}
