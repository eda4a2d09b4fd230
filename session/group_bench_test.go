package session

import (
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/codec"
	"hush/whisper"
)

// BenchmarkGroupSend measures sending one line to a private group: from
// Send (what Enter calls) until every member's copy is sealed and posted
// (PROTOCOL.md §8.5: one envelope per member, ourselves included). The
// baseline, measured in the same run, is one line to a one-to-one chat
// (one envelope).
//
//	go test ./session -run '^$' -bench BenchmarkGroupSend -benchtime 200x
func BenchmarkGroupSend(b *testing.B) {
	b.Run("one-to-one", func(b *testing.B) { benchGroupSend(b, 1) })
	b.Run("group-20", func(b *testing.B) { benchGroupSend(b, 20) })
}

func benchGroupSend(b *testing.B, members int) {
	peer, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: benchKey(b)})
	if err != nil {
		b.Fatal(err)
	}
	if err := peer.Start(); err != nil {
		b.Fatal(err)
	}
	defer peer.Stop()
	c := newBenchClient(b, benchClientOptions{peers: []*enode.Node{peer.Enode()}})
	defer c.close()
	counter := countPosts(c.node)
	c.mgr.cfg.Node = counter // before Start: nothing has used the node yet
	if err := c.mgr.Start(); err != nil {
		b.Fatal(err)
	}
	benchWaitFor(b, "peers", func() bool { return c.node.PeerCount() >= 1 })

	waitPosts := func(n int) {
		for range n {
			benchReceive(b, counter.seen, "a post")
		}
	}
	var chat string
	if members == 1 {
		ch, err := c.mgr.OpenPrivate(codec.PublicKeyHex(&benchKey(b).PublicKey))
		if err != nil {
			b.Fatal(err)
		}
		chat = ch.ID
	} else {
		keys := make([]string, members-1)
		for i := range keys {
			keys[i] = codec.PublicKeyHex(&benchKey(b).PublicKey)
		}
		ch, err := c.mgr.CreateGroup("bench", keys)
		if err != nil {
			b.Fatal(err)
		}
		chat = ch.ID
		waitPosts(members) // the invitation
	}
	b.ResetTimer()
	for i := range b.N {
		if err := c.mgr.Send(chat, fmt.Sprintf("line %d", i)); err != nil {
			b.Fatal(err)
		}
		waitPosts(members)
	}
	b.StopTimer()
	b.ReportMetric(float64(members), "envelopes/op")
}
