package session

import (
	"crypto/ecdsa"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/codec"
	"hush/whisper"
)

// stockPeer is a 2019 client reduced to its transport: a bare go-ethereum
// whisperv6 node that reads and writes plain transit one-to-one, knowing
// nothing of ProtocolMessages.
type stockPeer struct {
	id     *ecdsa.PrivateKey
	shh    *whisperv6.Whisper
	srv    *p2p.Server
	filter string
}

func startStockPeer(t *testing.T, peers ...*enode.Node) *stockPeer {
	t.Helper()
	id, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	nodeKey, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	shh := whisperv6.New(&whisperv6.Config{MaxMessageSize: whisperv6.DefaultMaxMessageSize, MinimumAcceptedPOW: whisper.DefaultMinPoW})
	srv := &p2p.Server{Config: p2p.Config{
		PrivateKey: nodeKey, MaxPeers: 10, Name: "stock", ListenAddr: "127.0.0.1:0",
		NoDiscovery: true, StaticNodes: peers, Protocols: shh.Protocols(),
	}}
	if err := shh.Start(srv); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Stop()
		go shh.Stop() // may wait for its bloom goroutine
	})
	topic := codec.TopicFor(codec.DiscoveryTopicName)
	filter, err := shh.Subscribe(&whisperv6.Filter{
		KeyAsym:  id,
		Topics:   [][]byte{topic[:]},
		Messages: make(map[common.Hash]*whisperv6.ReceivedMessage),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &stockPeer{id: id, shh: shh, srv: srv, filter: filter}
}

// send posts plain transit to a key on the discovery topic, as 0.13 did.
func (s *stockPeer) send(t *testing.T, to *ecdsa.PublicKey, text string) {
	t.Helper()
	now := time.Now()
	payload, err := codec.EncodeMessage(codec.Message{
		Text: text, ContentType: codec.ContentTypeText, MessageType: codec.MessageTypePrivate,
		Clock: codec.NextClock(0, now), Timestamp: now.UnixMilli(), ChatID: codec.PublicKeyHex(to),
	})
	if err != nil {
		t.Fatal(err)
	}
	params := &whisperv6.MessageParams{
		Src: s.id, Dst: to, Topic: whisperv6.TopicType(codec.TopicFor(codec.DiscoveryTopicName)),
		Payload: payload, TTL: 10, PoW: whisper.DefaultPoW, WorkTime: 2,
	}
	msg, err := whisperv6.NewSentMessage(params)
	if err != nil {
		t.Fatal(err)
	}
	env, err := msg.Wrap(params)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.shh.Send(env); err != nil {
		t.Fatal(err)
	}
}

// texts are the chat texts the stock peer received so far.
func (s *stockPeer) texts(t *testing.T, from *ecdsa.PublicKey) []string {
	var out []string
	for _, m := range s.shh.GetFilter(s.filter).Retrieve() {
		if m.Src == nil || codec.PublicKeyHex(m.Src) != codec.PublicKeyHex(from) {
			continue
		}
		rec, err := codec.Decode(m.Payload)
		if err != nil {
			t.Fatalf("stock peer cannot read hush's payload: %v (%q)", err, m.Payload)
		}
		if msg, ok := rec.(*codec.Message); ok {
			out = append(out, msg.Text)
		}
	}
	return out
}

// TestPlainOneToOneWithStockWhisperPeer (issue 9, acceptance 6): a peer
// that only speaks plain transit over stock whisperv6 and hush talk both
// ways; hush, knowing no bundle of it, sends what it can read, and the
// chat says plain.
func TestPlainOneToOneWithStockWhisperPeer(t *testing.T) {
	h := newClient(t, clientOptions{})
	stock := startStockPeer(t, h.node.Enode())
	waitPeers(t, 1, h)
	stockKey := codec.PublicKeyHex(&stock.id.PublicKey)

	stock.send(t, &h.id.PublicKey, "hello from stock")
	waitFor(t, "hush gets the stock peer's line", func() bool {
		return slices.Equal(h.texts(stockKey), []string{"hello from stock"})
	})
	if err := h.mgr.Send(stockKey, "hello from hush"); err != nil {
		t.Fatal(err)
	}
	var got []string
	waitFor(t, "stock peer gets hush's line", func() bool {
		got = append(got, stock.texts(t, &h.id.PublicKey)...)
		return slices.Contains(got, "hello from hush")
	})
	info, err := h.mgr.Info(stockKey)
	if err != nil {
		t.Fatal(err)
	}
	if info.Encryption != "plain" || len(info.Installations) != 0 || info.Topic != "contact-discovery 0xf8946aac" {
		t.Fatalf("info: %+v", info)
	}
	for _, m := range h.events.added(stockKey) {
		if !m.Outgoing && m.Encryption != "plain" {
			t.Fatalf("received line marked %q", m.Encryption)
		}
	}
}
