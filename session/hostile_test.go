package session

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/codec"
	"hush/whisper"
)

// TestHostilePublicPayloadsDropped posts broken payloads straight through
// A's node into #status. B drops every one of them, keeps what it had, and
// still takes the valid message that follows.
func TestHostilePublicPayloadsDropped(t *testing.T) {
	// The junk goes out with almost no PoW: sealing a 64 KiB envelope to
	// the default target is seconds of hashing under the race detector,
	// and can run out of its sealing time on a loaded machine. PoW is not
	// what this test is about (whisper's tests cover it).
	const tinyPoW = 1e-9
	a := newClient(t, clientOptions{minPoW: tinyPoW})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}, minPoW: tinyPoW})
	waitPeers(t, 1, a, b)
	if _, err := b.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	if err := a.mgr.Send("status", "kept"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first message", func() bool { return len(b.texts("status")) == 1 })

	now := time.Now()
	clock := codec.NextClock(0, now)
	c4 := func(text, contentType, msgType string, clock int64) string {
		return fmt.Sprintf(`["~#c4",[%q,%q,"~:%s",%d,%d,["^ ","~:chat-id","status","~:text",%q]]]`,
			text, contentType, msgType, clock, now.UnixMilli(), text)
	}
	hostile := map[string]string{
		"bad transit":      `["~#c4",["abc"`,
		"not transit":      "\x00\xff\xfe garbage",
		"unknown tag":      `["~#c9",["abc"]]`,
		"missing fields":   `["~#c4",["abc","text/plain"]]`,
		"negative clock":   c4("neg", "text/plain", "public-group-user-message", -5),
		"absurd clock":     c4("absurd", "text/plain", "public-group-user-message", codec.MaxClock(now)*10),
		"oversize text":    c4(strings.Repeat("x", codec.MaxTextBytes+1), "text/plain", "public-group-user-message", clock),
		"blank text":       c4("   ", "text/plain", "public-group-user-message", clock),
		"emoji type":       c4("local only", "emoji", "public-group-user-message", clock),
		"wrong msg type":   c4("private on public", "text/plain", "user-message", clock),
		"nested deep":      strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
		"clock is string":  `["~#c4",["abc","text/plain","~:public-group-user-message","12",1,["^ ","~:chat-id","status","~:text","abc"]]]`,
		"content not text": `["~#c4",[{"a":1},"text/plain","~:public-group-user-message",1,1]]`,
	}
	topic := codec.TopicFor("status")
	key := codec.SymKeyFromPassword("status")
	for name, payload := range hostile {
		if _, err := a.node.Post(whisper.Post{Topic: topic, SymKey: key, Payload: []byte(payload), Signer: a.id, PoW: tinyPoW}); err != nil {
			t.Fatalf("%s: post: %v", name, err)
		}
	}
	// A valid payload, but without a signature: nobody to file it under.
	unsigned := c4("unsigned", "text/plain", "public-group-user-message", clock)
	if _, err := a.node.Post(whisper.Post{Topic: topic, SymKey: key, Payload: []byte(unsigned), PoW: tinyPoW}); err != nil {
		t.Fatal(err)
	}
	if err := a.mgr.Send("status", "after the junk"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "valid message after junk", func() bool { return slices.Contains(b.texts("status"), "after the junk") })
	// Every hostile envelope is accounted for: dropped with a reason, or
	// (the unknown tag) ignored.
	waitFor(t, "all junk handled", func() bool {
		return b.mgr.dropped.Load() == int64(len(hostile)) && b.mgr.ignored.Load() == 1
	})
	if got := b.texts("status"); !slices.Equal(got, []string{"kept", "after the junk"}) {
		t.Fatalf("B stored %q", got)
	}
}

func TestParseChatName(t *testing.T) {
	for in, want := range map[string]string{"#Status": "status", " status-core ": "status-core", "a1": "a1"} {
		got, err := ParseChatName(in)
		if err != nil || got != want {
			t.Errorf("ParseChatName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "#", "has space", "ünï", "semi;colon", strings.Repeat("a", maxChatName+1)} {
		if _, err := ParseChatName(bad); err == nil {
			t.Errorf("ParseChatName(%q) accepted", bad)
		}
	}
}
