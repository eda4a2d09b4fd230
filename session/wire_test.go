package session

import (
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/codec"
)

// TestWireMatchesSeedLayout: the envelope a client gossips for a public
// message opens with stock whisperv6 and the chat name as password, and the
// payload is the seed's example byte for byte, but for clock and time.
func TestWireMatchesSeedLayout(t *testing.T) {
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}})
	waitPeers(t, 1, a, b)
	if _, err := a.mgr.JoinPublic("testing-adamb"); err != nil {
		t.Fatal(err)
	}
	if err := a.mgr.Send("testing-adamb", "abc123"); err != nil {
		t.Fatal(err)
	}

	// B never joined the chat: it holds the envelope only as a relay.
	topic := whisperv6.TopicType(codec.TopicFor("testing-adamb"))
	var env *whisperv6.Envelope
	waitFor(t, "envelope on B", func() bool {
		for _, e := range b.node.Whisper().Envelopes() {
			if e.Topic == topic {
				env = e
				return true
			}
		}
		return false
	})

	stock := whisperv6.New(nil)
	keyID, err := stock.AddSymKeyFromPassword("testing-adamb")
	if err != nil {
		t.Fatal(err)
	}
	key, err := stock.GetSymKey(keyID)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := env.OpenSymmetric(key)
	if err != nil {
		t.Fatalf("stock whisperv6 cannot open the envelope: %v", err)
	}
	if !msg.ValidateAndParse() {
		t.Fatal("stock whisperv6 rejects the plaintext")
	}
	if msg.Src == nil || crypto.PubkeyToAddress(*msg.Src) != crypto.PubkeyToAddress(a.id.PublicKey) {
		t.Fatal("envelope not signed by the sender's identity")
	}

	rec, err := codec.Decode(msg.Payload)
	if err != nil {
		t.Fatal(err)
	}
	m := rec.(*codec.Message)
	want := fmt.Sprintf(`["~#c4",["abc123","text/plain","~:public-group-user-message",%d,%d,["^ ","~:chat-id","testing-adamb","~:text","abc123"]]]`,
		m.Clock, m.Timestamp)
	if string(msg.Payload) != want {
		t.Fatalf("payload\n%s\nwant the seed's layout\n%s", msg.Payload, want)
	}
	if m.Clock != m.Timestamp*100+1 {
		t.Fatalf("first clock of a fresh chat: %d, want timestamp*100+1 = %d", m.Clock, m.Timestamp*100+1)
	}
	if env.TTL < 10 || env.PoW() < 0.002 {
		t.Fatalf("envelope TTL %d PoW %f; want TTL ≥ 10 and PoW ≥ 0.002", env.TTL, env.PoW())
	}
}
