package session

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/codec"
	"hush/whisper"
)

// BenchmarkSend measures the time from Send (what Enter calls) to the
// envelope leaving the node, with the defaults a user gets (PoW 0.002,
// TTL 10):
//
//   - to-posted: until the session reports the message Sending, that is,
//     the envelope is sealed and in whisperv6's pool;
//   - to-peer: until a connected peer's whisperv6 has added it. whisperv6
//     gossips its pool to each peer every 300 ms, so this adds 0–300 ms
//     (150 ms on average) to to-posted;
//   - to-sent: until the session reports the message Sent, that is, the
//     peer's acknowledgement of the batch came back.
//
// Messages are sent one at a time, each after the previous one reached
// the peer and a pause that moves the send across the 300 ms gossip cycle
// (as a person typing would), so to-peer samples every phase of it.
func BenchmarkSend(b *testing.B) {
	samples := 30
	if testing.Short() {
		samples = 5
	}
	b.Run("public", func(b *testing.B) { benchSend(b, samples, false) })
	b.Run("one-to-one", func(b *testing.B) { benchSend(b, samples, true) })
}

// arrivals is a whisperv6.MailServer that only notes when each new
// envelope is added to its node: whisperv6 calls Archive from add, the
// moment it accepts an envelope from a peer.
type arrivals chan time.Time

func (a arrivals) Archive(*whisperv6.Envelope) {
	select {
	case a <- time.Now():
	default: // nobody waits for it; never block whisperv6
	}
}

func (arrivals) DeliverMail(*whisperv6.Peer, *whisperv6.Envelope) {}

func benchSend(b *testing.B, samples int, private bool) {
	arrived := make(arrivals, 16)
	peer, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: benchKey(b)})
	if err != nil {
		b.Fatal(err)
	}
	peer.RegisterMailServer(arrived)
	if err := peer.Start(); err != nil {
		b.Fatal(err)
	}
	defer peer.Stop()

	posted := make(chan time.Time, 16)
	sent := make(chan time.Time, 16)
	c := newBenchClient(b, benchClientOptions{
		peers: []*enode.Node{peer.Enode()},
		onEvent: func(ev Event, at time.Time) {
			sc, ok := ev.(MessageStateChanged)
			if !ok {
				return
			}
			ch := sent
			switch sc.State {
			case Sent:
			case Sending:
				ch = posted
			default:
				return
			}
			select {
			case ch <- at:
			default: // more than the benchmark waits for: it would fail
			}
		},
	})
	defer c.close()
	if err := c.mgr.Start(); err != nil {
		b.Fatal(err)
	}
	chat := "bench-send"
	if private {
		ch, err := c.mgr.OpenPrivate(codec.PublicKeyHex(&benchKey(b).PublicKey))
		if err != nil {
			b.Fatal(err)
		}
		chat = ch.ID
	} else if _, err := c.mgr.JoinPublic(chat); err != nil {
		b.Fatal(err)
	}
	benchWaitFor(b, "peers", func() bool { return c.node.PeerCount() >= 1 && peer.PeerCount() >= 1 })

	var toPosted, toPeer, toSent []time.Duration
	b.ResetTimer()
	for range b.N {
		for i := range samples {
			b.StopTimer()
			time.Sleep(gossipPhase(i, samples))
			b.StartTimer()
			start := time.Now()
			if err := c.mgr.Send(chat, benchText(i)); err != nil {
				b.Fatal(err)
			}
			toPosted = append(toPosted, benchReceive(b, posted, "the Sending state").Sub(start))
			toPeer = append(toPeer, benchReceive(b, arrived, "the envelope at the peer").Sub(start))
			toSent = append(toSent, benchReceive(b, sent, "the Sent state").Sub(start))
		}
	}
	b.StopTimer()
	b.ReportMetric(benchMillis(benchPercentile(toPosted, 50)), "to-posted-ms-p50")
	b.ReportMetric(benchMillis(benchPercentile(toPosted, 99)), "to-posted-ms-p99")
	b.ReportMetric(benchMillis(benchPercentile(toPeer, 50)), "to-peer-ms-p50")
	b.ReportMetric(benchMillis(benchPercentile(toPeer, 99)), "to-peer-ms-p99")
	b.ReportMetric(benchMillis(benchPercentile(toSent, 50)), "to-sent-ms-p50")
	b.ReportMetric(benchMillis(benchPercentile(toSent, 99)), "to-sent-ms-p99")
}

// gossipPhase spreads sample i of n evenly over whisperv6's 300 ms
// transmission cycle, in a scattered order.
func gossipPhase(i, n int) time.Duration {
	const cycle = 300 * time.Millisecond
	return time.Duration((i*7)%n) * cycle / time.Duration(n)
}

// benchReceive waits for the next time on ch.
func benchReceive(b *testing.B, ch <-chan time.Time, what string) time.Time {
	b.Helper()
	select {
	case t := <-ch:
		return t
	case <-time.After(benchWait):
		b.Fatalf("timed out waiting for %s", what)
		return time.Time{}
	}
}
