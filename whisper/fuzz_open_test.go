package whisper

import (
	"bytes"
	"crypto/ecdsa"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// FuzzSplitDirect: splitDirect takes any code-127 body without
// panicking; what it returns are whole RLP lists, the body itself for a
// single envelope or, for a batch, the batch's items in order and
// nothing else. Each is then decoded and opened as readDirect does.
func FuzzSplitDirect(f *testing.F) {
	fn := newFuzzNode(f)
	signed := fn.seal(f, []byte("hello"), true, false)
	private := fn.seal(f, []byte("to you"), true, true)
	poison := fn.hostile(f, poisonPlaintext, false)
	f.Add(encodeRLP(f, signed))
	f.Add(encodeRLP(f, []*whisperv6.Envelope{signed, private, poison}))
	f.Add(encodeRLP(f, []*whisperv6.Envelope{fn.hostile(f, poisonPlaintext, true)}))
	f.Add(encodeRLP(f, []any{}))
	f.Add(encodeRLP(f, []any{encodeRLP(f, signed), uint64(5)}))
	f.Add(append(encodeRLP(f, signed), 0))
	f.Fuzz(func(t *testing.T, body []byte) {
		raws, err := splitDirect(body)
		if err != nil {
			if raws != nil {
				t.Fatalf("error %v with %d envelopes", err, len(raws))
			}
			return
		}
		content, rest, err := rlp.SplitList(body)
		if err != nil || len(rest) != 0 {
			t.Fatalf("accepted %x, not one RLP list", body)
		}
		if len(content) == 0 {
			if len(raws) != 0 {
				t.Fatalf("%d envelopes from an empty list", len(raws))
			}
			return
		}
		if kind, _, _, _ := rlp.Split(content); kind != rlp.List {
			if len(raws) != 1 || !bytes.Equal(raws[0], body) {
				t.Fatalf("single envelope %x split into %d", body, len(raws))
			}
		} else if joined := bytes.Join(asBytes(raws), nil); !bytes.Equal(joined, content) {
			t.Fatalf("batch %x split into items that are not its content", body)
		}
		for _, raw := range raws {
			if kind, _, rest, err := rlp.Split(raw); err != nil || kind != rlp.List || len(rest) != 0 {
				t.Fatalf("item %x is not one RLP list", raw)
			}
			env := new(whisperv6.Envelope)
			if rlp.DecodeBytes(raw, env) != nil {
				continue
			}
			o := fn.openEnvelope(env, crypto.Keccak256Hash(raw), true)
			if o.poison != "" && len(o.got) != 0 {
				t.Fatalf("poison (%s) delivered", o.poison)
			}
			for _, r := range o.got {
				if !r.Direct || r.Topic != fuzzTopic || r.EnvelopeHash != crypto.Keccak256Hash(raw) {
					t.Fatalf("delivery %+v of %x", r, raw)
				}
			}
		}
	})
}

// FuzzPlaintext checks hush's plaintext reader against whisperv6's: the
// guard refuses every plaintext whisperv6 would crash on and nothing
// whisperv6 reads; what it passes reads without panic, into the same
// payload and signer as whisperv6, with the payload inside the
// plaintext's payload field (and no capacity past it to append into).
func FuzzPlaintext(f *testing.F) {
	fn := newFuzzNode(f)
	for _, p := range fn.plaintexts(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		problem := plaintextProblem(raw)
		panicked, ok, wantPayload, wantSigner := whisperParse(raw)
		if panicked && problem == "" {
			t.Fatalf("whisperv6 panics on %x, the guard passes it", raw)
		}
		if ok && problem != "" {
			t.Fatalf("whisperv6 reads %x, the guard refuses it: %s", raw, problem)
		}
		if problem != "" {
			return
		}
		payload, signer, bad := readPlaintext(raw, recoverCgo)
		if ok != (bad == "") {
			t.Fatalf("%x: whisperv6 accepts %v, readPlaintext says %q", raw, ok, bad)
		}
		if bad != "" {
			if payload != nil || signer != nil {
				t.Fatalf("%x: unreadable (%s) yet a payload or signer", raw, bad)
			}
			return
		}
		if !bytes.Equal(payload, wantPayload) || !samePub(signer, wantSigner) {
			t.Fatalf("%x: read %x by %v, whisperv6 reads %x by %v", raw, payload, signer, wantPayload, wantSigner)
		}
		end := len(raw)
		if raw[0]&signedFlag != 0 {
			end -= signatureLength
		}
		begin := 1 + int(raw[0]&sizeFieldMask)
		if begin+len(payload) > end || cap(payload) != len(payload) {
			t.Fatalf("%x: payload of %d bytes (cap %d) at %d past the body's end %d", raw, len(payload), cap(payload), begin, end)
		}
		if len(payload) > 0 && &payload[0] != &raw[begin] {
			t.Fatalf("%x: payload does not start after the size field", raw)
		}
	})
}

// FuzzOpenEnvelope: a peer encrypts any plaintext under the chat key or
// to our key and sends it as a direct envelope. Whatever it holds, hush
// opens it without panicking; it is poison whenever whisperv6 would crash
// on it, and delivered exactly when whisperv6 would read it, with
// whisperv6's payload and signer.
func FuzzOpenEnvelope(f *testing.F) {
	fn := newFuzzNode(f)
	for _, p := range fn.plaintexts(f) {
		f.Add(p, false)
		f.Add(p, true)
	}
	f.Fuzz(func(t *testing.T, plain []byte, asym bool) {
		sent := fn.hostile(t, plain, asym)
		raws, err := splitDirect(encodeRLP(t, sent))
		if err != nil || len(raws) != 1 {
			t.Fatalf("split of one envelope: %d, %v", len(raws), err)
		}
		env := new(whisperv6.Envelope)
		if err := rlp.DecodeBytes(raws[0], env); err != nil {
			t.Fatal(err)
		}
		hash := crypto.Keccak256Hash(raws[0])
		if hash != sent.Hash() {
			t.Fatalf("hash %x of the raw envelope, whisperv6 says %x", hash, sent.Hash())
		}
		o := fn.openEnvelope(env, hash, true)
		panicked, ok, wantPayload, wantSigner := whisperParse(plain)
		switch {
		case panicked:
			if o.poison == "" || len(o.got) != 0 {
				t.Fatalf("plaintext %x crashes whisperv6 but is not poison (%d delivered)", plain, len(o.got))
			}
		case !ok:
			if len(o.got) != 0 {
				t.Fatalf("plaintext %x, refused by whisperv6, delivered", plain)
			}
		default:
			if o.poison != "" || o.bad != "" || len(o.got) != 1 {
				t.Fatalf("plaintext %x, read by whisperv6, gave %d deliveries (poison %q, bad %q)", plain, len(o.got), o.poison, o.bad)
			}
			r := o.got[0]
			if !bytes.Equal(r.Payload, wantPayload) || !samePub(r.Signer, wantSigner) {
				t.Fatalf("plaintext %x: payload %x by %v, whisperv6 reads %x by %v", plain, r.Payload, r.Signer, wantPayload, wantSigner)
			}
			if r.Topic != fuzzTopic || r.EnvelopeHash != hash || !r.Direct || !r.Sent.Equal(time.Unix(int64(sent.Expiry-sent.TTL), 0)) {
				t.Fatalf("delivery %+v of %+v", r, sent)
			}
		}
	})
}

// FuzzSealOpen: whatever whisperv6's own sender seals (any payload and
// padding, signed or not, for a chat or for our key) hush opens into
// exactly that payload and signer.
func FuzzSealOpen(f *testing.F) {
	fn := newFuzzNode(f)
	for i, p := range statusPayloads(f) {
		f.Add([]byte(p), []byte(nil), i%2 == 0, i%3 == 0)
	}
	f.Add([]byte{}, []byte{0}, false, false)
	f.Add(bytes.Repeat([]byte{1}, 256), bytes.Repeat([]byte{2}, 300), true, true)
	f.Add(bytes.Repeat([]byte{3}, 70000), []byte(nil), true, false)
	f.Fuzz(func(t *testing.T, payload, padding []byte, signed, asym bool) {
		if len(payload)+len(padding) > 1<<17 {
			return // larger ones only cost time: the size field has at most 3 bytes below 16 MiB
		}
		params := &whisperv6.MessageParams{Payload: payload, Padding: padding}
		wrap := &whisperv6.MessageParams{TTL: 60, Topic: whisperv6.TopicType(fuzzTopic)}
		if signed {
			params.Src, wrap.Src = fn.signer, fn.signer
		}
		if asym {
			wrap.Dst = &fn.key.PublicKey
		} else {
			wrap.KeySym = fn.sym
		}
		msg, err := whisperv6.NewSentMessage(params)
		if err != nil {
			t.Fatal(err)
		}
		env, err := msg.Wrap(wrap)
		if err != nil {
			t.Fatal(err)
		}
		raws, err := splitDirect(encodeRLP(t, env))
		if err != nil || len(raws) != 1 {
			t.Fatalf("split of one envelope: %d, %v", len(raws), err)
		}
		got := new(whisperv6.Envelope)
		if err := rlp.DecodeBytes(raws[0], got); err != nil {
			t.Fatal(err)
		}
		o := fn.openEnvelope(got, crypto.Keccak256Hash(raws[0]), true)
		if o.poison != "" || o.bad != "" || len(o.got) != 1 {
			t.Fatalf("sealed payload %x: %d deliveries (poison %q, bad %q)", payload, len(o.got), o.poison, o.bad)
		}
		var wantSigner *ecdsa.PublicKey
		if signed {
			wantSigner = &fn.signer.PublicKey
		}
		if r := o.got[0]; !bytes.Equal(r.Payload, payload) || !samePub(r.Signer, wantSigner) {
			t.Fatalf("sealed %x (signed %v), opened %x by %v", payload, signed, r.Payload, r.Signer)
		}
	})
}

func asBytes(raws []rlp.RawValue) [][]byte {
	out := make([][]byte, len(raws))
	for i, r := range raws {
		out[i] = r
	}
	return out
}
