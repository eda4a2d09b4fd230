package whisper

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"testing"
	"time"

	"hush/codec"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/ecies"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// The fuzz targets open envelopes on the "status" public chat's topic,
// as a client does that reads that chat and gets one-to-one messages on
// the same topic. Keys are derived from fixed strings so that envelopes
// in the committed corpus open the same way in every run.
var (
	fuzzTopic = topicOf("status")
	// fuzzTTL is long enough that seed envelopes stay unexpired for
	// decades, so the screen's checks on them do not change with the date.
	fuzzTTL = uint32(1 << 30)
)

// fuzzKeyFrom is a private key derived from seed.
func fuzzKeyFrom(tb testing.TB, seed string) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte(seed)))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// fuzzNode is a node, never started, that opens fuzzTopic with the
// status chat's key and with a private key.
type fuzzNode struct {
	*Node
	sym    []byte
	key    *ecdsa.PrivateKey
	signer *ecdsa.PrivateKey // signs seed messages
}

func newFuzzNode(tb testing.TB) *fuzzNode {
	tb.Helper()
	// Envelopes with fuzzTTL have a tiny PoW; the screen must still
	// judge them rather than skip them as inadmissible.
	n, err := New(Config{NodeKey: fuzzKeyFrom(tb, "hush fuzz node"), MinPoW: 1e-30})
	if err != nil {
		tb.Fatal(err)
	}
	fn := &fuzzNode{Node: n, sym: codec.SymKeyFromPassword("status"),
		key: fuzzKeyFrom(tb, "hush fuzz recipient"), signer: fuzzKeyFrom(tb, "hush fuzz signer")}
	if _, err := n.SubscribeSym(fuzzTopic, fn.sym); err != nil {
		tb.Fatal(err)
	}
	if _, err := n.SubscribeAsym(fuzzTopic, fn.key); err != nil {
		tb.Fatal(err)
	}
	return fn
}

// interceptor is a fresh stream state for one peer of the node (its own
// drop log and link), with no connection behind it.
func (fn *fuzzNode) interceptor() *interceptor {
	l := &link{id: enode.ID{1}, closed: make(chan struct{}), slot: make(chan struct{}, 1),
		confirmations: make(chan confirmation, confirmationQueue)}
	return &interceptor{node: fn.Node, link: l, handshaken: true}
}

// seal is an envelope on fuzzTopic made by whisperv6's own sender code:
// payload, signed by fn.signer if signed, to fn's private key if asym or
// else under the chat key, sent now with fuzzTTL.
func (fn *fuzzNode) seal(tb testing.TB, payload []byte, signed, asym bool) *whisperv6.Envelope {
	tb.Helper()
	params := &whisperv6.MessageParams{Payload: payload}
	if signed {
		params.Src = fn.signer
	}
	msg, err := whisperv6.NewSentMessage(params)
	if err != nil {
		tb.Fatal(err)
	}
	wrap := &whisperv6.MessageParams{TTL: fuzzTTL, Src: params.Src, Topic: whisperv6.TopicType(fuzzTopic)}
	if asym {
		wrap.Dst = &fn.key.PublicKey
	} else {
		wrap.KeySym = fn.sym
	}
	env, err := msg.Wrap(wrap)
	if err != nil {
		tb.Fatal(err)
	}
	return env
}

// hostile is an envelope on fuzzTopic whose plaintext is plain, whatever
// it holds, encrypted as anyone can: under the chat key or to fn's public
// key.
func (fn *fuzzNode) hostile(tb testing.TB, plain []byte, asym bool) *whisperv6.Envelope {
	tb.Helper()
	env := &whisperv6.Envelope{Expiry: uint32(time.Now().Unix()) + fuzzTTL, TTL: fuzzTTL, Topic: whisperv6.TopicType(fuzzTopic)}
	if asym {
		data, err := ecies.Encrypt(rand.Reader, ecies.ImportECDSAPublic(&fn.key.PublicKey), plain, nil, nil)
		if err != nil {
			tb.Fatal(err)
		}
		env.Data = data
		return env
	}
	block, err := aes.NewCipher(fn.sym)
	if err != nil {
		tb.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		tb.Fatal(err)
	}
	nonce := make([]byte, gcm.NonceSize()) // fixed: the same seed every run
	env.Data = append(gcm.Seal(nil, nonce, plain, nil), nonce...)
	return env
}

// plaintexts are the plaintexts the fuzz targets are seeded with: what
// whisperv6 writes for Status payloads of the codec vectors and for
// sizes around the size field's limits, signed and not, and known poison.
func (fn *fuzzNode) plaintexts(tb testing.TB) [][]byte {
	tb.Helper()
	payloads := [][]byte{nil, {1}, bytes.Repeat([]byte{7}, 255), bytes.Repeat([]byte{7}, 256), bytes.Repeat([]byte{7}, 300)}
	for _, p := range statusPayloads(tb) {
		payloads = append(payloads, []byte(p))
	}
	var out [][]byte
	for i, p := range payloads {
		params := &whisperv6.MessageParams{Payload: p, Padding: []byte{byte(i)}}
		msg, err := whisperv6.NewSentMessage(params)
		if err != nil {
			tb.Fatal(err)
		}
		raw := append([]byte(nil), msg.Raw...)
		out = append(out, raw)
		// Signed as whisperv6 signs: set the flag, then sign the hash.
		signed := append([]byte(nil), raw...)
		signed[0] |= signedFlag
		sig, err := crypto.Sign(crypto.Keccak256(signed), fn.signer)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, append(signed, sig...))
	}
	badSig := append([]byte{signedFlag | 1, 1, 'x'}, make([]byte, signatureLength)...)
	badSig[len(badSig)-1] = 9 // recovery id out of range
	out = append(out, poisonPlaintext, badSig, []byte{}, []byte{signedFlag}, []byte{0x03, 0xff, 0xff, 0xff})
	return out
}

// statusPayloads are the Status payloads of the codec test vectors.
func statusPayloads(tb testing.TB) []string {
	tb.Helper()
	var vectors struct {
		TwoRecords struct{ Payload string } `json:"two_records"`
		OK         []struct{ Payload string }
	}
	loadJSON(tb, "../testdata/codec/decode.json", &vectors)
	out := []string{vectors.TwoRecords.Payload}
	for _, v := range vectors.OK {
		out = append(out, v.Payload)
	}
	return out
}

// whisperParse runs whisperv6's own plaintext parser on raw, with the
// exact capacity a decryption leaves: whether it panicked, whether it
// accepts raw, and what it reads.
func whisperParse(raw []byte) (panicked, ok bool, payload []byte, src *ecdsa.PublicKey) {
	msg := &whisperv6.ReceivedMessage{Raw: append(make([]byte, 0, len(raw)), raw...)}
	defer func() {
		if recover() != nil {
			panicked, ok, payload, src = true, false, nil, nil
		}
	}()
	ok = msg.ValidateAndParse()
	return false, ok, msg.Payload, msg.Src
}

func samePub(a, b *ecdsa.PublicKey) bool {
	if a == nil || b == nil {
		return a == b
	}
	return bytes.Equal(crypto.FromECDSAPub(a), crypto.FromECDSAPub(b))
}

func encodeRLP(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := rlp.EncodeToBytes(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// message is body as a p2p message with code.
func message(code uint64, body []byte) p2p.Msg {
	return p2p.Msg{Code: code, Size: uint32(len(body)), Payload: bytes.NewReader(body)}
}

// bodyOf reads a message's body.
func bodyOf(tb testing.TB, msg p2p.Msg) []byte {
	tb.Helper()
	b, err := io.ReadAll(msg.Payload)
	if err != nil {
		tb.Fatal(err)
	}
	if len(b) != int(msg.Size) {
		tb.Fatalf("message says %d bytes, carries %d", msg.Size, len(b))
	}
	return b
}

func loadJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}
