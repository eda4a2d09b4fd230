package whisper

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// FuzzScreenMessages feeds code-1 bodies through what ReadMsg does with
// them (noteBatch, then screenMessages). Neither panics nor errs; the
// receipt names the body's envelopes; what goes on to whisperv6 is the
// body itself or its envelopes in order minus some, and each one taken
// out opens under one of our keys into a plaintext whisperv6 would crash
// on or refuse, while every such envelope whisperv6 would admit is
// taken out.
func FuzzScreenMessages(f *testing.F) {
	fn := newFuzzNode(f)
	good := fn.seal(f, []byte("hello"), true, false)
	private := fn.seal(f, []byte("to you"), true, true)
	poison := fn.hostile(f, poisonPlaintext, false)
	poisonToKey := fn.hostile(f, []byte{0x02, 0xff, 0xff}, true)
	elsewhere := fn.seal(f, []byte("hello"), false, false)
	elsewhere.Topic = whisperv6.TopicType{1, 2, 3, 4}
	garbage := &whisperv6.Envelope{Expiry: good.Expiry, TTL: good.TTL, Topic: good.Topic, Data: []byte{4, 1, 2, 3}}
	for _, batch := range [][]*whisperv6.Envelope{
		{good}, {poison}, {good, poison, private, poisonToKey, elsewhere, garbage}, {poison, poison}, {},
	} {
		f.Add(encodeRLP(f, batch))
	}
	f.Add(encodeRLP(f, []any{good, uint64(1), poison}))
	f.Add(encodeRLP(f, good))
	f.Fuzz(func(t *testing.T, body []byte) {
		ic := fn.interceptor()
		before := uint32(time.Now().Unix())
		noted, err := ic.noteBatch(message(codeMessages, body))
		if err != nil {
			t.Fatal(err)
		}
		items, itemsErr := rlpItems(body)
		if r := ic.receipt; (itemsErr == nil) != (r != nil) ||
			(r != nil && (r.hash != crypto.Keccak256Hash(body) || len(r.envelopes) != len(items))) {
			t.Fatalf("receipt %+v for %x (items: %v)", r, body, itemsErr)
		}
		out, err := ic.screenMessages(noted)
		if err != nil {
			t.Fatal(err)
		}
		after := uint32(time.Now().Unix())
		passed := bodyOf(t, out)
		if bytes.Equal(passed, body) {
			for _, raw := range items {
				if env, ok := decodeEnvelope(raw); ok && whisperCrashes(fn, env) &&
					fn.admissible(env, before) && fn.admissible(env, after) {
					// Unless the batch is not all envelopes: whisperv6
					// refuses it whole and drops the peer.
					if allEnvelopes(items) {
						t.Fatalf("poison %x, admissible, passed on", raw)
					}
				}
			}
			return
		}
		kept, err := rlpItems(passed)
		if itemsErr != nil || err != nil || len(kept) >= len(items) {
			t.Fatalf("%x screened into %x", body, passed)
		}
		j := 0
		for _, raw := range items {
			if j < len(kept) && bytes.Equal(kept[j], raw) {
				j++
				continue
			}
			env, ok := decodeEnvelope(raw)
			if !ok || !whisperRefuses(fn, env) {
				t.Fatalf("%x taken out of the batch, but no key of ours opens it to a plaintext whisperv6 refuses", raw)
			}
		}
		if j != len(kept) {
			t.Fatalf("screened batch is not the body's envelopes in order")
		}
	})
}

func decodeEnvelope(raw []byte) (*whisperv6.Envelope, bool) {
	env := new(whisperv6.Envelope)
	return env, rlp.DecodeBytes(raw, env) == nil
}

func allEnvelopes(items []rlp.RawValue) bool {
	for _, raw := range items {
		if _, ok := decodeEnvelope(raw); !ok {
			return false
		}
	}
	return true
}

// plaintextsOf opens env with fn's keys the way whisperv6 would.
func plaintextsOf(fn *fuzzNode, env *whisperv6.Envelope) [][]byte {
	if env.Topic != whisperv6.TopicType(fuzzTopic) {
		return nil
	}
	var out [][]byte
	if m, err := env.OpenSymmetric(fn.sym); err == nil && m != nil && m.Raw != nil {
		out = append(out, m.Raw)
	}
	if m, err := env.OpenAsymmetric(fn.key); err == nil && m != nil && m.Raw != nil {
		out = append(out, m.Raw)
	}
	return out
}

// whisperCrashes: one of our keys opens env to a plaintext whisperv6's
// parser panics on.
func whisperCrashes(fn *fuzzNode, env *whisperv6.Envelope) bool {
	for _, p := range plaintextsOf(fn, env) {
		if panicked, _, _, _ := whisperParse(p); panicked {
			return true
		}
	}
	return false
}

// whisperRefuses: one of our keys opens env to a plaintext whisperv6's
// parser panics on or refuses.
func whisperRefuses(fn *fuzzNode, env *whisperv6.Envelope) bool {
	for _, p := range plaintextsOf(fn, env) {
		if _, ok, _, _ := whisperParse(p); !ok {
			return true
		}
	}
	return false
}

// FuzzReadAck: readAck takes any code-11 or code-12 body without an
// error (one malformed reply is far from the cut-off); an acknowledgement
// comes out exactly when the body decodes and names the batch we sent,
// and then splits our envelopes of it into the refused ones it names and
// the taken rest. A code-12 body that decodes encodes back to itself
// (fields of later versions included).
func FuzzReadAck(f *testing.F) {
	fn := newFuzzNode(f)
	batch := common.Hash{9}
	own := [][32]byte{{1}, {2}, {3}}
	response := func(version uint64, resp messagesResponse) []byte {
		return encodeRLP(f, versionedResponse{Version: version, Response: encodeRLP(f, resp)})
	}
	f.Add(false, response(1, messagesResponse{Hash: batch}))
	f.Add(false, response(1, messagesResponse{Hash: batch, Errors: []envelopeError{
		{Hash: own[1], Code: envelopeNotAccepted, Description: "not accepted"},
		{Hash: common.Hash{7}, Code: 1000},
	}}))
	f.Add(false, response(1, messagesResponse{Hash: batch, Rest: []rlp.RawValue{{0x05}}}))
	f.Add(false, response(2, messagesResponse{Hash: batch}))
	f.Add(false, response(1, messagesResponse{Hash: common.Hash{8}}))
	f.Add(true, encodeRLP(f, batch))
	f.Add(true, encodeRLP(f, []byte{1, 2, 3}))
	f.Fuzz(func(t *testing.T, batchAck bool, body []byte) {
		ic := fn.interceptor()
		ic.link.sent.add(batch, own, time.Now())
		code := uint64(codeMessagesResponse)
		if batchAck {
			code = codeBatchAck
		}
		if err := ic.readAck(message(code, body)); err != nil {
			t.Fatal(err)
		}
		acks, _ := fn.ackq.take()

		var named common.Hash
		refused := map[common.Hash]bool{}
		decoded := false
		if batchAck {
			decoded = rlp.DecodeBytes(body, &named) == nil
		} else if resp, err := decodeMessagesResponse(body); err == nil {
			decoded = true
			named = resp.Hash
			for _, e := range resp.Errors {
				refused[e.Hash] = true
			}
			// Later versions' extra fields are kept, not lost.
			var v versionedResponse
			if err := rlp.DecodeBytes(body, &v); err != nil {
				t.Fatalf("response %x decodes, its version wrapper does not: %v", body, err)
			}
			if inner := encodeRLP(t, resp); !bytes.Equal(inner, v.Response) {
				t.Fatalf("response %x decodes to %+v, which encodes to %x", v.Response, resp, inner)
			}
			if again := encodeRLP(t, v); !bytes.Equal(again, body) {
				t.Fatalf("versioned response %x decodes to %+v, which encodes to %x", body, v, again)
			}
		}
		want := decoded && named == batch
		if len(acks) > 1 || want != (len(acks) == 1) {
			t.Fatalf("%d acknowledgements for %x (decodes %v, names %x)", len(acks), body, decoded, named)
		}
		if !want {
			return
		}
		a := acks[0]
		if a.Peer != ic.link.id || !a.Confirmed || len(a.Envelopes)+len(a.Refused) != len(own) {
			t.Fatalf("acknowledgement %+v", a)
		}
		for _, h := range a.Refused {
			if !refused[h] {
				t.Fatalf("%x reported refused, the reply does not name it", h)
			}
		}
		for _, h := range a.Envelopes {
			if refused[h] {
				t.Fatalf("%x reported taken, the reply names it refused", h)
			}
		}
	})
}

// FuzzReadStatus: readStatus passes any handshake body on to whisperv6
// unchanged and learns that the peer confirms batches exactly when the
// body is a list (of canonically encoded items) whose fifth item is the
// boolean true.
func FuzzReadStatus(f *testing.F) {
	fn := newFuzzNode(f)
	pow := math.Float64bits(DefaultMinPoW)
	bloom := whisperv6.MakeFullNodeBloom()
	f.Add(encodeRLP(f, []any{uint64(whisperv6.ProtocolVersion), pow, bloom, false}))
	f.Add(encodeRLP(f, []any{uint64(whisperv6.ProtocolVersion), pow, bloom, false, true}))
	f.Add(encodeRLP(f, []any{uint64(whisperv6.ProtocolVersion), pow, bloom, false, false}))
	f.Add(encodeRLP(f, []any{uint64(whisperv6.ProtocolVersion), pow, bloom, false, []any{uint64(1), "x"}}))
	f.Add(encodeRLP(f, []any{uint64(whisperv6.ProtocolVersion), pow}))
	f.Add(encodeRLP(f, uint64(whisperv6.ProtocolVersion)))
	f.Fuzz(func(t *testing.T, body []byte) {
		ic := fn.interceptor()
		ic.handshaken = false
		out, err := ic.readStatus(message(codeStatus, body))
		if err != nil {
			t.Fatal(err)
		}
		if passed := bodyOf(t, out); !bytes.Equal(passed, body) || out.Code != codeStatus {
			t.Fatalf("handshake %x passed on as code %d %x", body, out.Code, passed)
		}
		var items []rlp.RawValue
		listErr := rlp.DecodeBytes(body, &items)
		split, err := rlpItems(body)
		switch {
		case err == nil && listErr == nil:
			if !reflect.DeepEqual(split, items) && len(items)+len(split) > 0 {
				t.Fatalf("rlpItems(%x) = %x; the decoder reads %x", body, split, items)
			}
		case err != nil && listErr == nil:
			// rlp.Split checks every item's header is canonical, the
			// decoder only what it decodes: whisperv6 may read such a
			// handshake (it reads four items), we take it as not
			// confirming. Honest peers encode canonically.
			if !errors.Is(err, rlp.ErrCanonSize) && !errors.Is(err, rlp.ErrCanonInt) {
				t.Fatalf("rlpItems(%x): %v; the decoder reads %x", body, err, items)
			}
		case err == nil && listErr != nil:
			t.Fatalf("rlpItems(%x) = %x; the decoder refuses it: %v", body, split, listErr)
		}
		if err != nil {
			items = nil // the decoder may have filled some before failing
		}
		var confirms bool
		want := len(items) >= 5 && rlp.DecodeBytes(items[4], &confirms) == nil && confirms
		if !ic.handshaken || ic.link.confirms.Load() != want {
			t.Fatalf("handshake %x: confirms %v, want %v", body, ic.link.confirms.Load(), want)
		}
	})
}

// FuzzReadCompletion: readCompletion takes any code-125 body without an
// error, and the request in flight gets the completion exactly when the
// body is an RLP string holding a completion that names it, unchanged.
func FuzzReadCompletion(f *testing.F) {
	fn := newFuzzNode(f)
	id := [32]byte{7}
	for _, c := range []mailformat.Completion{
		{RequestID: id},
		{RequestID: id, LastEnvelope: [32]byte{4}, Cursor: make([]byte, mailformat.CursorLength)},
		{RequestID: id, Err: "time range too long: 604880s, at most 604800s"},
		{RequestID: [32]byte{8}},
	} {
		f.Add(encodeRLP(f, mailformat.EncodeCompletion(c)))
	}
	f.Add(encodeRLP(f, []byte("ERROR=")))
	f.Add(encodeRLP(f, []any{id[:]}))
	f.Fuzz(func(t *testing.T, body []byte) {
		ic := fn.interceptor()
		req := &pendingRequest{id: id, activity: make(chan struct{}, 1), done: make(chan mailformat.Completion, 1)}
		ic.link.begin(req)
		if err := ic.readCompletion(message(codeCompletion, body)); err != nil {
			t.Fatal(err)
		}
		var (
			raw  []byte
			want mailformat.Completion
			ok   bool
		)
		if rlp.DecodeBytes(body, &raw) == nil {
			c, err := mailformat.DecodeCompletion(raw)
			want, ok = c, err == nil && c.RequestID == id
		}
		select {
		case got := <-req.done:
			if !ok || !reflect.DeepEqual(got, want) {
				t.Fatalf("completion %+v from %x, want %+v (%v)", got, body, want, ok)
			}
		default:
			if ok {
				t.Fatalf("completion %+v from %x not delivered", want, body)
			}
		}
	})
}
