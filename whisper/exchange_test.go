package whisper

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
)

func TestPublicChatMessageIsDeliveredSignedToPeer(t *testing.T) {
	t.Parallel()
	a := newTestNode(t, "a")
	b := newTestNode(t, "b", a.Enode())
	connected(t, 1, a, b)

	topic := topicOf("status")
	key := chatKey(t, "status")
	if _, err := a.SubscribeSym(topic, key); err != nil {
		t.Fatal(err)
	}
	subB, err := b.SubscribeSym(topic, key)
	if err != nil {
		t.Fatal(err)
	}

	alice := mustKey(t)
	payload := []byte(`["~#c4",["hello","text/plain","~:public-group-user-message",1,1,["^ ","~:chat-id","status","~:text","hello"]]]`)
	before := time.Now().Add(-time.Second)
	hash, err := a.Post(Post{Topic: topic, SymKey: key, Payload: payload, Signer: alice})
	if err != nil {
		t.Fatal(err)
	}

	inboxB := &inbox{node: b}
	got := inboxB.await(t, waitTimeout, "the public chat message at b", withHash(hash))
	if got.Subscription != subB {
		t.Errorf("subscription = %q, want %q", got.Subscription, subB)
	}
	if got.Topic != topic {
		t.Errorf("topic = %x, want %x", got.Topic, topic)
	}
	if !bytes.Equal(got.Payload, payload) {
		t.Errorf("payload = %q, want %q", got.Payload, payload)
	}
	if got.Signer == nil || !bytes.Equal(crypto.FromECDSAPub(got.Signer), crypto.FromECDSAPub(&alice.PublicKey)) {
		t.Errorf("signer = %v, want alice", got.Signer)
	}
	if got.Direct {
		t.Error("gossiped message marked Direct")
	}
	if got.Sent.Before(before.Truncate(time.Second)) || got.Sent.After(time.Now()) {
		t.Errorf("sent = %v, want about now", got.Sent)
	}

	// The sender's own subscription sees its message too (whisperv6 feeds
	// local posts to local filters).
	inboxA := &inbox{node: a}
	inboxA.await(t, waitTimeout, "the sender's own copy", withHash(hash))
}

func TestDirectMessageReachesOnlyTheKeyHolderAcrossARelay(t *testing.T) {
	t.Parallel()
	// a — relay — c: a and c are not connected; the relay forwards.
	relay := newTestNode(t, "relay")
	a := newTestNode(t, "a", relay.Enode())
	c := newTestNode(t, "c", relay.Enode())
	connected(t, 2, relay)
	connected(t, 1, a, c)

	discovery := topicOf("contact-discovery")
	if discovery != [4]byte{0xf8, 0x94, 0x6a, 0xac} {
		t.Fatalf("contact-discovery topic = %x", discovery)
	}
	bob := mustKey(t)      // c's chat key
	relayKey := mustKey(t) // the relay listens on the same topic with another key
	alice := mustKey(t)    // a's chat key
	marker := topicOf("marker")
	markerKey := chatKey(t, "marker")
	if _, err := c.SubscribeAsym(discovery, bob); err != nil {
		t.Fatal(err)
	}
	if _, err := relay.SubscribeAsym(discovery, relayKey); err != nil {
		t.Fatal(err)
	}
	if _, err := relay.SubscribeSym(marker, markerKey); err != nil {
		t.Fatal(err)
	}

	payload := []byte("hello bob")
	hash, err := a.Post(Post{Topic: discovery, PublicKey: &bob.PublicKey, Payload: payload, Signer: alice})
	if err != nil {
		t.Fatal(err)
	}
	inboxC := &inbox{node: c}
	got := inboxC.await(t, waitTimeout, "the 1:1 message at c", withHash(hash))
	if !bytes.Equal(got.Payload, payload) {
		t.Errorf("payload = %q, want %q", got.Payload, payload)
	}
	if got.Signer == nil || !bytes.Equal(crypto.FromECDSAPub(got.Signer), crypto.FromECDSAPub(&alice.PublicKey)) {
		t.Error("signer is not alice")
	}

	// The relay had the envelope (it forwarded it) but not the key: once a
	// later message has come through, the 1:1 message must not have.
	if relay.Whisper().GetEnvelope(hash) == nil {
		t.Fatal("relay does not hold the envelope it forwarded")
	}
	markerHash, err := a.Post(Post{Topic: marker, SymKey: markerKey, Payload: []byte("marker"), Signer: alice})
	if err != nil {
		t.Fatal(err)
	}
	inboxRelay := &inbox{node: relay}
	inboxRelay.await(t, waitTimeout, "the marker at the relay", withHash(markerHash))
	if inboxRelay.saw(withHash(hash)) {
		t.Error("the relay decrypted a message encrypted to someone else")
	}
}

func TestUnsubscribeStopsDelivery(t *testing.T) {
	t.Parallel()
	a := newTestNode(t, "a")
	b := newTestNode(t, "b", a.Enode())
	connected(t, 1, a, b)

	topic, key := topicOf("unsubscribe"), chatKey(t, "unsubscribe")
	marker, markerKey := topicOf("marker"), chatKey(t, "marker")
	sub, err := b.SubscribeSym(topic, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.SubscribeSym(marker, markerKey); err != nil {
		t.Fatal(err)
	}
	inboxB := &inbox{node: b}

	first, err := a.Post(Post{Topic: topic, SymKey: key, Payload: []byte("one")})
	if err != nil {
		t.Fatal(err)
	}
	inboxB.await(t, waitTimeout, "the first message", withHash(first))

	if err := b.Unsubscribe(sub); err != nil {
		t.Fatal(err)
	}
	if err := b.Unsubscribe(sub); err == nil {
		t.Error("second Unsubscribe of the same id did not fail")
	}
	second, err := a.Post(Post{Topic: topic, SymKey: key, Payload: []byte("two")})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, waitTimeout, "b to hold the second envelope", func() bool {
		return b.Whisper().GetEnvelope(second) != nil
	})
	markerHash, err := a.Post(Post{Topic: marker, SymKey: markerKey, Payload: []byte("marker")})
	if err != nil {
		t.Fatal(err)
	}
	inboxB.await(t, waitTimeout, "the marker", withHash(markerHash))
	if inboxB.saw(withHash(second)) {
		t.Error("message delivered after Unsubscribe")
	}
}

func TestPostChecksItsArguments(t *testing.T) {
	t.Parallel()
	a := newTestNode(t, "a")
	key := chatKey(t, "args")
	cases := map[string]Post{
		"no key":        {Topic: topicOf("args"), Payload: []byte("x")},
		"both keys":     {Topic: topicOf("args"), Payload: []byte("x"), SymKey: key, PublicKey: &mustKey(t).PublicKey},
		"short sym key": {Topic: topicOf("args"), Payload: []byte("x"), SymKey: key[:16]},
	}
	for name, p := range cases {
		if _, err := a.Post(p); err == nil {
			t.Errorf("%s: Post succeeded", name)
		}
	}
	if _, err := a.SubscribeSym(topicOf("args"), key[:31]); err == nil {
		t.Error("SubscribeSym accepted a 31-byte key")
	}

	stopped, err := New(testNodeConfig(t, "unstarted"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stopped.Post(Post{Topic: topicOf("args"), SymKey: key, Payload: []byte("x")}); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("Post on an unstarted node: err = %v", err)
	}
	stopped.Stop()
}
