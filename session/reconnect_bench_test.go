package session

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/codec"
	"hush/store"
	"hush/whisper"
	"hush/whisper/mailformat"
	"hush/whisper/mailserver"
)

// reconnectRounds is how many disconnect-reconnect rounds one iteration
// of BenchmarkReconnectCatchUp times.
const reconnectRounds = 5

// BenchmarkReconnectCatchUp: a client's connection to its mailserver (hush
// serve in process, rate limit off) drops through a TCP proxy; meanwhile n messages reach
// the server's archive and nowhere else. The time is from the proxy
// forwarding the client's new connection to the session announcing the
// last missed message (MessagesAdded, what the UI draws from): the
// reconnection noticed, the catch-up asked from the synced-to mark, the
// pages received, opened, stored and announced.
//
// The baseline, measured in the same run against the same server and
// envelopes, is the least any client does for them: a bare node already
// connected asks for the same range (status format, same page size) and
// opens every envelope with the chat's key; the time ends when the last
// one comes out of the node.
func BenchmarkReconnectCatchUp(b *testing.B) {
	for _, n := range []int{20, 1000} {
		b.Run(fmt.Sprintf("missed-%d", n), func(b *testing.B) { benchReconnect(b, n) })
	}
}

func benchReconnect(b *testing.B, n int) {
	archive, server := newBenchMailserver(b)
	proxy := newTCPProxy(b, server.Enode())
	via := Mailserver{Node: proxy.enode(), Format: mailformat.FormatStatus}

	var mu sync.Mutex
	shown := map[string]time.Time{} // text → when its MessagesAdded was read
	c := newBenchClient(b, benchClientOptions{
		peers: []*enode.Node{proxy.enode()}, mailservers: []Mailserver{via},
		onEvent: func(ev Event, at time.Time) {
			if ma, ok := ev.(MessagesAdded); ok {
				mu.Lock()
				for _, m := range ma.Messages {
					shown[m.Text] = at
				}
				mu.Unlock()
			}
		},
	})
	defer c.close()
	if err := c.mgr.Start(); err != nil {
		b.Fatal(err)
	}

	bare := newBenchBareNode(b, server.Enode())
	author := benchKey(b)
	var hush, base []time.Duration
	round := 0
	for range b.N {
		for range reconnectRounds {
			b.StopTimer()
			// Each round has a chat of its own, so that the slack of one
			// round's request does not fetch the last round's messages.
			round++
			chat := fmt.Sprintf("bench-reconnect-%d", round)
			if _, err := c.mgr.JoinPublic(chat); err != nil {
				b.Fatal(err)
			}
			benchWaitFor(b, "the join's history", func() bool { ch, _, _ := c.store.Chat(chat); return ch.SyncedTo > 0 })
			if round > 1 {
				if err := c.mgr.Leave(fmt.Sprintf("bench-reconnect-%d", round-1)); err != nil {
					b.Fatal(err)
				}
			}
			bare.subscribe(b, chat)
			proxy.cut()
			benchWaitFor(b, "the client cut off", func() bool { return c.node.PeerCount() == 0 })
			now := time.Now()
			missed := archiveTexts(b, archive, author, chat, chat, n, now.Add(-10*time.Second), now.Add(-time.Second))
			b.StartTimer()
			proxy.restore()
			// Whisper hands a page's envelopes over in no set order: the
			// catch-up is shown when the last of them is.
			var lastShown time.Time
			benchWaitFor(b, "every missed message shown", func() bool {
				mu.Lock()
				defer mu.Unlock()
				for _, m := range missed {
					at, ok := shown[m.text]
					if !ok {
						return false
					}
					if at.After(lastShown) {
						lastShown = at
					}
				}
				return true
			})
			b.StopTimer()
			hush = append(hush, lastShown.Sub(proxy.lastAccepted()))
			for _, m := range missed {
				if has, _ := c.store.HasEnvelope(m.hash); !has {
					b.Fatalf("%q not stored", m.text)
				}
			}
			base = append(base, bare.fetch(b, chat, now.Add(-10*time.Second), missed))
			b.StartTimer()
		}
	}
	mean := func(ds []time.Duration) time.Duration {
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		return sum / time.Duration(len(ds))
	}
	slices.Sort(hush)
	b.ReportMetric(benchMillis(mean(hush)), "ms-to-last")
	b.ReportMetric(benchMillis(hush[len(hush)-1]), "ms-to-last-max")
	b.ReportMetric(benchMillis(mean(base)), "baseline-ms")
	b.ReportMetric(float64(mean(hush))/float64(mean(base)), "x-baseline")
}

// newBenchMailserver is an in-process hush serve with its rate limit off:
// each round asks three times (join, catch-up, baseline), and the limit
// (a request a second after a burst of 10) would time the server's policy.
func newBenchMailserver(b *testing.B) (*store.Store, *whisper.Node) {
	b.Helper()
	archive, err := store.Open(filepath.Join(b.TempDir(), "archive.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	node, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: benchKey(b)})
	if err != nil {
		b.Fatal(err)
	}
	server := mailserver.New(mailserver.Config{SymKey: codec.SymKeyFromPassword(DefaultMailserverPassword), RateLimit: -1}, archive, node)
	node.RegisterMailServer(server)
	server.Start()
	if err := node.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		node.Stop()
		server.Stop()
		archive.Close()
	})
	return archive, node
}

// benchBareNode is a node that only opens and hands out what it asked for.
type benchBareNode struct {
	node   *whisper.Node
	server *enode.Node
}

func newBenchBareNode(b *testing.B, server *enode.Node) *benchBareNode {
	b.Helper()
	node, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: benchKey(b), Peers: []*enode.Node{server}})
	if err != nil {
		b.Fatal(err)
	}
	if err := node.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(node.Stop)
	benchWaitFor(b, "the bare node connected", func() bool { return node.PeerCount() > 0 })
	return &benchBareNode{node: node, server: server}
}

// subscribe opens chat's messages from now on.
func (bn *benchBareNode) subscribe(b *testing.B, chat string) {
	b.Helper()
	if _, err := bn.node.SubscribeSym(codec.TopicFor(chat), codec.SymKeyFromPassword(chat)); err != nil {
		b.Fatal(err)
	}
}

// fetch asks for chat's messages since from, page by page,
// and returns the time until every envelope of want came out of the node.
// The envelopes are read while the pages come, as a session does.
func (bn *benchBareNode) fetch(b *testing.B, chat string, from time.Time, want []archivedMessage) time.Duration {
	b.Helper()
	topic := codec.TopicFor(chat)
	missing := make(map[[32]byte]bool, len(want))
	for _, m := range want {
		missing[m.hash] = true
	}
	lower, upper := span{from.Unix(), time.Now().Unix()}.bounds()
	req := whisper.HistoryRequest{Request: mailformat.Request{Lower: lower, Upper: upper, Bloom: codec.Bloom(topic), Limit: pageLimit}}
	done := make(chan time.Time, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for len(missing) > 0 {
			select {
			case r := <-bn.node.Received():
				delete(missing, r.EnvelopeHash)
			case <-stop:
				return
			}
		}
		done <- time.Now()
	}()
	start := time.Now()
	for page := 0; ; page++ {
		if page > len(want)/pageLimit+10 {
			b.Fatalf("baseline: %d pages", page)
		}
		p, err := bn.node.RequestHistory(b.Context(), bn.server.ID(), req)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Cursor) == 0 {
			break
		}
		req.Cursor = p.Cursor
	}
	select {
	case at := <-done:
		return at.Sub(start)
	case <-time.After(benchWait):
		b.Fatalf("baseline: envelopes missing after %v", benchWait)
		return 0
	}
}
