package whisper

import (
	"crypto/ecdsa"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// Opening an envelope is two steps: decrypt, which finds whether it is
// poison (cheap for a symmetric key) and must happen in stream order, and
// read, which recovers the signer (secp256k1, most of the cost) and may
// run elsewhere (openpool.go spreads a history page over several cores).

// opened is an envelope opened with the keys subscribed to its topic.
type opened struct {
	hash    common.Hash
	got     []Received // one per subscription whose key opens it
	version uint64     // of the subscription table the keys came from
	poison  string     // why its plaintext under one of our keys is malformed ("" if none)
	bad     string     // why a plaintext, well formed, was not delivered ("" if none)
}

// decrypted is an envelope decrypted with the keys subscribed to its
// topic, not read yet.
type decrypted struct {
	env     *whisperv6.Envelope
	hash    common.Hash
	direct  bool
	version uint64
	plains  []plaintext // one per key that opened it
	poison  string      // why a plaintext is malformed; plains is then nil
}

// plaintext is what one key made of an envelope, and the subscriptions
// holding that key.
type plaintext struct {
	raw  []byte
	subs []*subscription
}

// openEnvelope decrypts and reads env (decrypt, then read).
func (n *Node) openEnvelope(env *whisperv6.Envelope, hash common.Hash, direct bool) opened {
	return n.decrypt(env, hash, direct).read(recoverCgo)
}

// decrypt decrypts env with each key subscribed to its topic and checks
// each plaintext's layout in hush's own code: whisperv6's parser is never
// run on a plaintext of ours (guard.go says why). Only decryption is
// whisperv6's, and it parses nothing. A malformed plaintext makes the
// whole envelope poison: it is neither delivered nor relayed.
func (n *Node) decrypt(env *whisperv6.Envelope, hash common.Hash, direct bool) decrypted {
	subs, version := n.subs.forTopic(env.Topic)
	d := decrypted{env: env, hash: hash, direct: direct, version: version}
	var tried []plaintext // by key; raw nil when the key does not open it
next:
	for _, sub := range subs {
		for i := range tried {
			if tried[i].subs[0].sameKey(sub) {
				tried[i].subs = append(tried[i].subs, sub)
				continue next
			}
		}
		raw := decryptWith(env, sub)
		if raw != nil {
			if problem := plaintextProblem(raw); problem != "" {
				d.poison = problem
				return d
			}
		}
		tried = append(tried, plaintext{raw: raw, subs: []*subscription{sub}})
	}
	for _, p := range tried {
		if p.raw != nil {
			d.plains = append(d.plains, p)
		}
	}
	return d
}

// read recovers the payload and signer of each plaintext and makes the
// deliveries, one per subscription.
func (d decrypted) read(recoverSigner signerRecovery) opened {
	o := opened{hash: d.hash, version: d.version, poison: d.poison}
	for _, p := range d.plains {
		payload, signer, bad := readPlaintext(p.raw, recoverSigner)
		if bad != "" {
			o.bad = bad
			continue
		}
		for _, sub := range p.subs {
			o.got = append(o.got, Received{
				Subscription: sub.id,
				Topic:        [4]byte(d.env.Topic),
				Payload:      payload,
				Signer:       signer,
				EnvelopeHash: d.hash,
				// uint32 arithmetic, as whisperv6 computes it.
				Sent:   time.Unix(int64(d.env.Expiry-d.env.TTL), 0),
				Direct: d.direct,
			})
		}
	}
	return o
}

// decryptWith returns env's plaintext under sub's key, or nil if the key
// does not open it.
func decryptWith(env *whisperv6.Envelope, sub *subscription) []byte {
	var (
		msg *whisperv6.ReceivedMessage
		err error
	)
	if sub.key != nil {
		msg, err = env.OpenAsymmetric(sub.key)
	} else {
		msg, err = env.OpenSymmetric(sub.symKey)
	}
	if err != nil || msg == nil {
		return nil
	}
	return msg.Raw
}

// readPlaintext reads flags(1) ‖ size(n LE) ‖ payload ‖ padding ‖
// [signature(65)] from a plaintext plaintextProblem accepted: the payload
// and, for a signed message, its signer. bad says why a signed plaintext
// has no signer (whisperv6 drops those too).
func readPlaintext(raw []byte, recoverSigner signerRecovery) (payload []byte, signer *ecdsa.PublicKey, bad string) {
	end := len(raw)
	if raw[0]&signedFlag != 0 {
		end -= signatureLength
		pub, err := recoverSigner(crypto.Keccak256(raw[:end]), raw[end:])
		if err != nil {
			return nil, nil, "signature recovers no key: " + err.Error()
		}
		signer = pub
	}
	sizeLen := int(raw[0] & sizeFieldMask)
	if sizeLen == 0 {
		return nil, signer, "" // whisperv6 reads no payload without a size field
	}
	size := 0
	for i := sizeLen; i >= 1; i-- {
		size = size<<8 | int(raw[i])
	}
	begin := 1 + sizeLen
	return raw[begin : begin+size : begin+size], signer, ""
}
