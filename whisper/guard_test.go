package whisper

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// poisonPlaintext declares a 5-byte payload but carries 4: whisperv6's
// parser slices past the end and panics.
var poisonPlaintext = []byte{0x01, 0x05, 1, 2, 3, 4}

// poisonEnvelope is a sendable envelope on topic whose plaintext under key
// crashes whisperv6 v1.9.15 when a filter opens it.
func poisonEnvelope(t *testing.T, topic [4]byte, key []byte) *whisperv6.Envelope {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		t.Fatal(err)
	}
	msg, err := whisperv6.NewSentMessage(&whisperv6.MessageParams{Payload: []byte{0}})
	if err != nil {
		t.Fatal(err)
	}
	msg.Raw = append(gcm.Seal(nil, nonce, poisonPlaintext, nil), nonce...)
	env := whisperv6.NewEnvelope(10, whisperv6.TopicType(topic), msg)
	if err := env.Seal(&whisperv6.MessageParams{PoW: 0.002, WorkTime: sealTimeout}); err != nil {
		t.Fatal(err)
	}
	return env
}

// whisperPanics runs whisperv6's plaintext parser on raw, with the exact
// capacity a decryption leaves.
func whisperPanics(raw []byte) (panicked bool) {
	exact := make([]byte, len(raw))
	copy(exact, raw)
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	(&whisperv6.ReceivedMessage{Raw: exact}).ValidateAndParse()
	return false
}

func TestPoisonPlaintextReallyCrashesWhisper(t *testing.T) {
	if !whisperPanics(poisonPlaintext) {
		t.Fatal("whisperv6 parses the poison plaintext: the guard may be unneeded")
	}
	if plaintextProblem(poisonPlaintext) == "" {
		t.Fatal("the guard passes the poison plaintext")
	}
}

// The guard must refuse every plaintext whisperv6 would crash on, and
// accept what whisperv6 itself writes.
func TestPlaintextProblemCoversEveryWhisperCrash(t *testing.T) {
	signer := mustKey(t)
	crashes := 0
	for flags := range byte(8) {
		for _, length := range []int{0, 1, 2, 3, 4, 5, 6, 8, 66, 67, 68, 70, 72, 130} {
			body := length
			if flags&signedFlag != 0 {
				body = length - signatureLength
				if body < 1 {
					continue
				}
			}
			for _, declared := range []int{0, 1, 2, body - 4, body - 3, body - 2, body - 1, body, body + 1, 255} {
				if declared < 0 || declared > 255 {
					continue
				}
				raw := make([]byte, body)
				if body > 0 {
					raw[0] = flags
				}
				if body > 1 {
					raw[1] = byte(declared)
				}
				if flags&signedFlag != 0 {
					sig, err := crypto.Sign(crypto.Keccak256(raw), signer)
					if err != nil {
						t.Fatal(err)
					}
					raw = append(raw, sig...)
				}
				panics := whisperPanics(raw)
				problem := plaintextProblem(raw)
				if panics {
					crashes++
				}
				if panics && problem == "" {
					t.Errorf("flags %#x, %d bytes, declared %d: whisperv6 panics but the guard passes it", flags, len(raw), declared)
				}
			}
		}
	}
	if crashes == 0 {
		t.Fatal("no case crashed whisperv6: the table tests nothing")
	}

	for _, size := range []int{0, 1, 100, 254, 255, 256, 300, 70000} {
		for _, src := range []bool{false, true} {
			params := &whisperv6.MessageParams{Payload: make([]byte, size)}
			if src {
				params.Src = signer
			}
			msg, err := whisperv6.NewSentMessage(params)
			if err != nil {
				t.Fatal(err)
			}
			raw := msg.Raw
			if src {
				// Sign as whisperv6 does: set the flag, then hash.
				raw[0] |= signedFlag
				sig, err := crypto.Sign(crypto.Keccak256(raw), signer)
				if err != nil {
					t.Fatal(err)
				}
				raw = append(raw, sig...)
			}
			if p := plaintextProblem(raw); p != "" {
				t.Errorf("payload %d signed %v: guard refuses a whisperv6 plaintext: %s", size, src, p)
			}
		}
	}
}

func TestHostileGossipEnvelopeIsScreened(t *testing.T) {
	t.Parallel()
	a := newTestNode(t, "a")
	b := newTestNode(t, "b", a.Enode())
	connected(t, 1, a, b)
	topic, key := topicOf("poison"), chatKey(t, "poison")
	if _, err := a.SubscribeSym(topic, key); err != nil {
		t.Fatal(err)
	}

	// b holds no key for the topic, so it relays the envelope blindly.
	poison := poisonEnvelope(t, topic, key)
	if err := b.Whisper().Send(poison); err != nil {
		t.Fatal(err)
	}
	marker, err := b.Post(Post{Topic: topic, SymKey: key, Payload: []byte("after the poison")})
	if err != nil {
		t.Fatal(err)
	}
	// Had the poison reached whisperv6 on a, this test binary would have
	// crashed by now; it must not even sit in a's pool to be forwarded.
	(&inbox{node: a}).await(t, waitTimeout, "the marker", withHash(marker))
	if a.Whisper().GetEnvelope(poison.Hash()) != nil {
		t.Error("the poison envelope entered a's pool")
	}
	if a.PeerCount() != 1 {
		t.Error("the relaying peer was disconnected")
	}
}
