package whisper

import (
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/whisper/droplog"
)

// BenchmarkOpenPool: reading (recovering the signers of) 2,000 decrypted
// history envelopes and delivering them in order, on the peer's reader
// alone (workers-1, go-ethereum's cgo recovery, as that path runs) and on
// the pool (pure Go, recover.go). No network: the CPU of the open step
// alone.
func BenchmarkOpenPool(b *testing.B) {
	const count = 2000
	key, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	n, err := New(Config{NodeKey: key})
	if err != nil {
		b.Fatal(err)
	}
	topic, sym := topicOf("pool"), crypto.Keccak256([]byte("pool"))
	if _, err := n.SubscribeSym(topic, sym); err != nil {
		b.Fatal(err)
	}
	ds := make([]decrypted, count)
	for i := range ds {
		params := &whisperv6.MessageParams{TTL: 10, Src: key, KeySym: sym, Topic: whisperv6.TopicType(topic), Payload: fmt.Appendf(nil, "line %d", i)}
		msg, err := whisperv6.NewSentMessage(params)
		if err != nil {
			b.Fatal(err)
		}
		env, err := msg.Wrap(params)
		if err != nil {
			b.Fatal(err)
		}
		ds[i] = n.decrypt(env, env.Hash(), true)
		if len(ds[i].plains) != 1 {
			b.Fatalf("envelope %d did not decrypt", i)
		}
	}
	drops := droplog.New(n.log, time.Minute)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers-%d", workers), func(b *testing.B) {
			for range b.N {
				l := &link{closed: make(chan struct{})}
				done := make(chan struct{})
				go func() {
					defer close(done)
					for range count {
						<-n.received
					}
				}()
				if workers == 1 {
					for _, d := range ds {
						n.deliverRead(l, d.read(recoverCgo), drops)
					}
				} else {
					p := n.startOpenPool(l, drops, workers)
					for _, d := range ds {
						p.handOver(n, d)
					}
					p.delivered(n)
				}
				<-done
				close(l.closed)
			}
		})
	}
}
