package session

import (
	"runtime"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/store"
	"hush/whisper/mailserver"
)

// BenchmarkCatchUpCores: the client's side of a 100,000-envelope catch-up
// from hush's mailserver (rate limit off), on one goroutine against on
// every core, in the same run. Each iteration catches up twice with fresh
// clients, first the single-goroutine path (whisper.Config.OpenWorkers 1:
// the peer's stream reader decrypts, recovers each signer and delivers,
// one envelope at a time) and then the default pool (one open worker per
// core, delivering in stream order), and reports both times from session
// Start to the last message stored and announced, and their ratio.
// Interleaving the two keeps a change in the machine's load from landing
// on one side only.
func BenchmarkCatchUpCores(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	envs := catchUpEnvelopes(b, n)
	server := newBenchHushServer(b, envs, mailserver.Config{RateLimit: -1})
	var single, pooled time.Duration
	for range b.N {
		single += catchUpOnce(b, server, n, 1)
		pooled += catchUpOnce(b, server, n, 0)
	}
	b.ReportMetric(single.Seconds()/float64(b.N), "s-single")
	b.ReportMetric(pooled.Seconds()/float64(b.N), "s-pooled")
	b.ReportMetric(single.Seconds()/pooled.Seconds(), "speedup")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "cores")
}

// catchUpOnce starts a fresh client of server whose node reads history on
// workers open workers and times its catch-up of n messages.
func catchUpOnce(b *testing.B, server *benchServer, n, workers int) time.Duration {
	b.StopTimer()
	defer b.StopTimer()
	c := newBenchClient(b, benchClientOptions{
		peers:       []*enode.Node{server.node.Enode()},
		mailservers: []Mailserver{server.mailserver()},
		openWorkers: workers,
	})
	defer c.close()
	for _, chat := range catchUpChats() {
		if _, err := c.store.JoinChat(chat, store.ChatPublic); err != nil {
			b.Fatal(err)
		}
	}
	benchWaitFor(b, "connection to the mailserver", func() bool { return c.node.PeerCount() >= 1 })
	b.StartTimer()
	start := time.Now()
	if err := c.mgr.Start(); err != nil {
		b.Fatal(err)
	}
	took := c.drain.waitAdded(b, int64(n)).Sub(start)
	b.StopTimer()
	total := 0
	for _, chat := range catchUpChats() {
		got, err := c.store.CountMessages(chat)
		if err != nil {
			b.Fatal(err)
		}
		total += got
	}
	if total != n {
		b.Fatalf("workers %d: stored %d messages, want %d", workers, total, n)
	}
	return took
}
