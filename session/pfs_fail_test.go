package session

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hush/codec"
	"hush/session/encryption"
	"hush/whisper"
)

// chatNotices are the chat lines a client showed for chat.
func chatNotices(c *client, chat string) []string {
	var out []string
	for _, ev := range c.events.all() {
		if n, ok := ev.(ChatNotice); ok && n.ChatID == chat {
			out = append(out, n.Text)
		}
	}
	return out
}

func hasNotice(c *client, chat, part string) bool {
	return slices.ContainsFunc(chatNotices(c, chat), func(s string) bool { return strings.Contains(s, part) })
}

// TestPFSReplayTamperAndOtherDevice: a double-ratchet message posted again
// in a new envelope is dropped as replayed, one with a flipped ciphertext
// byte as tampered with, each with a line in the chat and a drop count,
// and nothing else is lost. A second device of the recipient, which the
// sender did not encrypt for, says so, sends the sender its bundle, and the
// sender's next message reaches both devices.
func TestPFSReplayTamperAndOtherDevice(t *testing.T) {
	ms, opts := pfsNet(t)
	a, b := newClient(t, opts), newClient(t, opts)
	waitPeers(t, 1, a, b)
	establishPFS(t, a, b)
	say(t, a, b, "original")
	wire := openWithLongTermKeys(t, archivedEnvelope(t, ms, sentEnvelope(t, a, b.key(), "original")), b.id, &a.id.PublicKey)

	repost := func(payload []byte) {
		t.Helper()
		topic := codec.TopicFor(codec.PartitionedTopicName(&b.id.PublicKey))
		if _, err := a.node.Post(whisper.Post{Topic: topic, PublicKey: &b.id.PublicKey, Payload: payload, Signer: a.id}); err != nil {
			t.Fatal(err)
		}
	}
	repost(wire)
	waitFor(t, "replay shown in B's chat", func() bool { return hasNotice(b, a.key(), "could not be decrypted: replayed") })

	// A fresh message, sealed by A's stage but not posted: a copy with one
	// ciphertext byte flipped goes first, then the genuine one, which must
	// still open (the tampered copy did not use up its key).
	now := time.Now()
	payload, err := codec.EncodeMessage(codec.Message{Text: "after a tampered copy", ContentType: codec.ContentTypeText,
		MessageType: codec.MessageTypePrivate, Clock: codec.NextClock(0, now), Timestamp: now.UnixMilli(), ChatID: b.key()})
	if err != nil {
		t.Fatal(err)
	}
	post, err := a.mgr.directPost(&b.id.PublicKey, payload)
	if err != nil {
		t.Fatal(err)
	}
	if post, _, err = a.mgr.sealDirect(post); err != nil {
		t.Fatal(err)
	}
	var pm encryption.ProtocolMessage
	if err := proto.Unmarshal(post.Payload, &pm); err != nil {
		t.Fatal(err)
	}
	for _, dm := range pm.DirectMessage {
		dm.Payload[len(dm.Payload)-1] ^= 1
	}
	tampered := post
	if tampered.Payload, err = proto.Marshal(&pm); err != nil {
		t.Fatal(err)
	}
	if _, err := a.node.Post(tampered); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "tamper shown in B's chat", func() bool { return hasNotice(b, a.key(), "could not be decrypted: tampered with") })
	if _, err := a.node.Post(post); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the genuine copy after the tampered one", func() bool {
		return slices.Contains(b.texts(a.key()), "after a tampered copy")
	})
	// At least the replay and the tampered copy (an envelope that comes
	// again, from gossip and the archive, is dropped again).
	if d := b.mgr.dropped.Load(); d < 2 {
		t.Fatalf("B dropped %d, want the replay and the tampered copy", d)
	}
	say(t, a, b, "after the junk")
	if got := b.texts(a.key()); slices.Index(got, "original") < 0 || got[len(got)-1] != "after the junk" ||
		len(slices.DeleteFunc(slices.Clone(got), func(s string) bool { return s != "original" })) != 1 {
		t.Fatalf("B shows %q", got)
	}

	// B's second device: same key, its own data dir and installation. Its
	// advertisements are held back, so A cannot know it before it writes.
	b2 := newClient(t, clientOptions{peers: opts.peers, mailservers: opts.mailservers, identity: b.id, wrapNode: func(n Node) Node { return noAds{n} }})
	waitPeers(t, 1, b2)
	if _, err := b2.mgr.OpenPrivate(a.key()); err != nil {
		t.Fatal(err)
	}
	// A writes on the topic it shares with B's key: the new device hears
	// it once it has read A's advertisement (from the mailserver).
	waitFor(t, "second device listens on the negotiated topic", func() bool {
		b2.mgr.mu.Lock()
		defer b2.mgr.mu.Unlock()
		_, ok := b2.mgr.watched["neg:"+a.key()]
		return ok
	})
	if err := a.mgr.Send(b.key(), "only for the first device"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "second device says it was not encrypted for it", func() bool {
		return hasNotice(b2, a.key(), "not encrypted for this device; sent them this device's keys")
	})
	waitFor(t, "A learns the second device", func() bool { return len(a.mgr.enc.Installations(&b.id.PublicKey)) == 2 })
	if err := a.mgr.Send(b.key(), "for both devices"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{b, b2} {
		waitFor(t, "both devices get the next line", func() bool { return slices.Contains(c.texts(a.key()), "for both devices") })
	}
}

// noAds is a node that never posts our bundle advertisements.
type noAds struct{ Node }

func (n noAds) Post(p whisper.Post) ([32]byte, error) {
	if p.Signer != nil && p.Topic == codec.TopicFor(codec.ContactCodeTopicName(&p.Signer.PublicKey)) {
		return [32]byte{}, nil
	}
	return n.Node.Post(p)
}
