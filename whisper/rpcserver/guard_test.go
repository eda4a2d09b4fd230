package rpcserver

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/whisper"
	"hush/whisper/mailserver"
)

// poisonEnvelope is an envelope on topic whose plaintext under key declares
// more payload than it carries: whisperv6 v1.9.15's parser panics on it
// when one of its filters opens it.
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
	rand.Read(nonce)
	msg, err := whisperv6.NewSentMessage(&whisperv6.MessageParams{Payload: []byte{0}})
	if err != nil {
		t.Fatal(err)
	}
	msg.Raw = append(gcm.Seal(nil, nonce, []byte{0x01, 0x05, 1, 2, 3, 4}, nil), nonce...)
	env := whisperv6.NewEnvelope(10, whisperv6.TopicType(topic), msg)
	if err := env.Seal(&whisperv6.MessageParams{PoW: 0.002, WorkTime: 5}); err != nil {
		t.Fatal(err)
	}
	return env
}

// An RPC subscription installs no whisperv6 filter, so an envelope whose
// plaintext would crash whisperv6's parser is dropped by hush's opening
// and the process lives; the next good message arrives.
func TestSubscriptionSurvivesPoison(t *testing.T) {
	sn := startServed(t, Config{}, false)
	c, err := sn.dialWS(t, "")
	if err != nil {
		t.Fatal(err)
	}
	var keyID string
	if err := c.Call(&keyID, "shh_generateSymKeyFromPassword", "status"); err != nil {
		t.Fatal(err)
	}
	key, err := sn.node.Whisper().GetSymKey(keyID)
	if err != nil {
		t.Fatal(err)
	}
	topic := [4]byte{5, 5, 5, 5}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	msgs := make(chan *Message, 4)
	sub, err := c.ShhSubscribe(ctx, msgs, "messages", map[string]any{"symKeyID": keyID, "topics": []hexutil.Bytes{topic[:]}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := sn.node.Whisper().Send(poisonEnvelope(t, topic, key)); err != nil {
		t.Fatal(err)
	}
	if err := c.Call(nil, "shh_post", map[string]any{
		"symKeyID": keyID, "ttl": 10, "topic": hexutil.Bytes(topic[:]), "payload": hexutil.Bytes("good"), "powTime": 2, "powTarget": 0.002,
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-msgs:
		if string(m.Payload) != "good" {
			t.Fatalf("got %q, want the good message only", m.Payload)
		}
	case <-ctx.Done():
		t.Fatal("no notification")
	}
}

// With Passthrough, deliveries of subscriptions that are not the RPC's (a
// session in the same process) come out of Received; the RPC's go to
// their callers only.
func TestPassthrough(t *testing.T) {
	sn := startServed(t, Config{Passthrough: true}, false)
	c, err := sn.dialWS(t, "")
	if err != nil {
		t.Fatal(err)
	}
	var keyID string
	if err := c.Call(&keyID, "shh_generateSymKeyFromPassword", "status"); err != nil {
		t.Fatal(err)
	}
	key, _ := sn.node.Whisper().GetSymKey(keyID)
	rpcTopic, localTopic := [4]byte{1, 1, 1, 1}, [4]byte{2, 2, 2, 2}
	localID, err := sn.node.SubscribeSym(localTopic, key)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	msgs := make(chan *Message, 4)
	sub, err := c.ShhSubscribe(ctx, msgs, "messages", map[string]any{"symKeyID": keyID, "topics": []hexutil.Bytes{rpcTopic[:]}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	for _, p := range []struct {
		topic   [4]byte
		payload string
	}{{localTopic, "for the session"}, {rpcTopic, "for the caller"}} {
		if _, err := sn.node.Post(whisper.Post{Topic: p.topic, SymKey: key, Payload: []byte(p.payload)}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case r := <-sn.server.Received():
		if r.Subscription != localID || string(r.Payload) != "for the session" {
			t.Fatalf("passed through %q on %s", r.Payload, r.Subscription)
		}
	case <-ctx.Done():
		t.Fatal("nothing passed through")
	}
	select {
	case m := <-msgs:
		if string(m.Payload) != "for the caller" {
			t.Fatalf("caller got %q", m.Payload)
		}
	case <-ctx.Done():
		t.Fatal("no notification")
	}
	select {
	case r := <-sn.server.Received():
		t.Fatalf("the caller's message was passed through too: %q", r.Payload)
	default:
	}
}

// A request naming another node goes to that peer: the served node asks
// the mailserver it is connected to, and the page reaches the caller's
// subscription before the answer.
func TestRequestMessagesFromPeer(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	msNode, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: key, Logger: testLogger(t, "mailserver")})
	if err != nil {
		t.Fatal(err)
	}
	archive := &memArchive{m: make(map[string][]byte)}
	passKey := make([]byte, 32)
	passKey[0] = 7
	ms := mailserver.New(mailserver.Config{SymKey: passKey}, archive, msNode)
	msNode.RegisterMailServer(ms)
	ms.Start()
	t.Cleanup(ms.Stop)
	if err := msNode.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(msNode.Stop)
	chatKey := make([]byte, 32)
	chatKey[0] = 9
	topic := [4]byte{3, 3, 3, 3}
	const sent = 4
	for i := range sent {
		if _, err := msNode.Post(whisper.Post{Topic: topic, SymKey: chatKey, Payload: []byte{byte(i)}, TTL: 60}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the archive", func() bool { return archive.len() == sent })

	sn := startServed(t, Config{}, false)
	c, err := sn.dialWS(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Call(nil, "admin_addPeer", msNode.Enode().URLv4()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the peer", func() bool {
		var peers []map[string]any
		return c.Call(&peers, "admin_peers") == nil && len(peers) == 1
	})
	var chatID, passID string
	if err := c.Call(&chatID, "shh_addSymKey", hexutil.Bytes(chatKey)); err != nil {
		t.Fatal(err)
	}
	if err := c.Call(&passID, "shh_addSymKey", hexutil.Bytes(passKey)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	msgs := make(chan *Message, 2*sent)
	sub, err := c.ShhSubscribe(ctx, msgs, "messages", map[string]any{
		"symKeyID": chatID, "topics": []hexutil.Bytes{topic[:]}, "allowP2P": true, "hushTag": "h",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	now := uint32(time.Now().Unix())
	var res MessagesResponse
	if err := c.CallContext(ctx, &res, "shhext_requestMessagesSync", map[string]any{}, map[string]any{
		"mailServerPeer": msNode.Enode().URLv4(), "from": now - 600, "to": now + 60, "symKeyID": passID,
		"topics": []hexutil.Bytes{topic[:]}, "hushSubscriptions": []string{"h"}, "timeout": 30,
	}); err != nil {
		t.Fatal(err)
	}
	if res.Envelopes != sent || res.Cursor != "" || res.Notified["h"] != sent {
		t.Fatalf("page: %+v; want %d envelopes and notifications, no cursor", res, sent)
	}
	for range sent {
		select {
		case m := <-msgs:
			if !m.Direct {
				t.Fatalf("history message %x not marked hushDirect", m.Payload)
			}
		case <-ctx.Done():
			t.Fatal("history missing")
		}
	}
	// A peer that is not connected is said to be so.
	stranger, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	other := enode.NewV4(&stranger.PublicKey, msNode.Enode().IP(), 1, 0)
	err = c.CallContext(ctx, &res, "shhext_requestMessagesSync", map[string]any{}, map[string]any{"mailServerPeer": other.URLv4()})
	if err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Fatalf("request to an unconnected peer: %v", err)
	}
}
