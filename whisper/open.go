package whisper

import (
	"crypto/ecdsa"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// opened is an envelope opened with the keys subscribed to its topic.
type opened struct {
	got     []Received // one per subscription whose key opens it
	version uint64     // of the subscription table the keys came from
	poison  string     // why its plaintext under one of our keys is malformed ("" if none)
	bad     string     // why a plaintext, well formed, was not delivered ("" if none)
}

// openEnvelope decrypts env with each key subscribed to its topic and
// reads the plaintext in hush's own code: whisperv6's parser is never run
// on a plaintext of ours (guard.go says why). Only decryption is
// whisperv6's. A malformed plaintext makes the whole envelope poison: it
// is neither delivered nor relayed.
func (n *Node) openEnvelope(env *whisperv6.Envelope, hash common.Hash, direct bool) opened {
	subs, version := n.subs.forTopic(env.Topic)
	out := opened{version: version}
	if len(subs) == 0 {
		return out
	}
	type plain struct {
		sub     *subscription
		payload []byte
		signer  *ecdsa.PublicKey
		ok      bool
	}
	// Subscriptions sharing a key share one decryption.
	tried := make([]plain, 0, len(subs))
	for _, sub := range subs {
		var p *plain
		for i := range tried {
			if tried[i].sub.sameKey(sub) {
				p = &tried[i]
				break
			}
		}
		if p == nil {
			tried = append(tried, plain{sub: sub})
			p = &tried[len(tried)-1]
			raw := decrypt(env, sub)
			if raw == nil {
				continue // not for this key
			}
			if problem := plaintextProblem(raw); problem != "" {
				out.poison = problem
				out.got = nil
				return out
			}
			payload, signer, bad := readPlaintext(raw)
			if bad != "" {
				out.bad = bad
				continue
			}
			p.payload, p.signer, p.ok = payload, signer, true
		}
		if !p.ok {
			continue
		}
		out.got = append(out.got, Received{
			Subscription: sub.id,
			Topic:        [4]byte(env.Topic),
			Payload:      p.payload,
			Signer:       p.signer,
			EnvelopeHash: hash,
			// uint32 arithmetic, as whisperv6 computes it.
			Sent:   time.Unix(int64(env.Expiry-env.TTL), 0),
			Direct: direct,
		})
	}
	return out
}

// decrypt returns env's plaintext under sub's key, or nil if the key does
// not open it. whisperv6's decryption only decrypts; it parses nothing.
func decrypt(env *whisperv6.Envelope, sub *subscription) []byte {
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
func readPlaintext(raw []byte) (payload []byte, signer *ecdsa.PublicKey, bad string) {
	end := len(raw)
	if raw[0]&signedFlag != 0 {
		end -= signatureLength
		pub, err := crypto.SigToPub(crypto.Keccak256(raw[:end]), raw[end:])
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
