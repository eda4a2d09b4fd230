package session

import (
	"context"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/codec"
	"hush/store"
	"hush/whisper"
	"hush/whisper/mailformat"
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
	var single, pooled, nodeSingle, nodePooled, singleCPU, pooledCPU time.Duration
	for range b.N {
		took, cpu := catchUpOnce(b, server, n, 1)
		single, singleCPU = single+took, singleCPU+cpu
		took, cpu = catchUpOnce(b, server, n, 0)
		pooled, pooledCPU = pooled+took, pooledCPU+cpu
		nodeSingle += openOnce(b, server, n, 1)
		nodePooled += openOnce(b, server, n, 0)
	}
	// How many cores the process kept busy (client and, in this process,
	// the server): what a pool can add is bounded by what the single path
	// left idle.
	b.ReportMetric(singleCPU.Seconds()/single.Seconds(), "busy-cores-single")
	b.ReportMetric(pooledCPU.Seconds()/pooled.Seconds(), "busy-cores-pooled")
	b.ReportMetric(single.Seconds()/float64(b.N), "s-single")
	b.ReportMetric(pooled.Seconds()/float64(b.N), "s-pooled")
	b.ReportMetric(single.Seconds()/pooled.Seconds(), "speedup")
	b.ReportMetric(nodeSingle.Seconds()/float64(b.N), "s-node-single")
	b.ReportMetric(nodePooled.Seconds()/float64(b.N), "s-node-pooled")
	b.ReportMetric(nodeSingle.Seconds()/nodePooled.Seconds(), "node-speedup")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "cores")
}

// openOnce times the node's part of the same catch-up, without the
// session: a bare node subscribed to the chats asks for everything in
// pages of pageLimit and opens what comes on workers open workers; the
// time ends when the last page returns, by when every envelope of it is
// opened, verified and on Received() (read and counted meanwhile).
func openOnce(b *testing.B, server *benchServer, n, workers int) time.Duration {
	b.StopTimer()
	defer b.StopTimer()
	node, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: benchKey(b),
		Peers: []*enode.Node{server.node.Enode()}, OpenWorkers: workers})
	if err != nil {
		b.Fatal(err)
	}
	if err := node.Start(); err != nil {
		b.Fatal(err)
	}
	defer node.Stop()
	var topics []codec.Topic
	for _, chat := range catchUpChats() {
		topic := codec.TopicFor(chat)
		topics = append(topics, topic)
		if _, err := node.SubscribeSym(topic, codec.SymKeyFromPassword(chat)); err != nil {
			b.Fatal(err)
		}
	}
	var opened atomic.Int64
	quit := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for {
			select {
			case r := <-node.Received():
				if r.Signer != nil {
					opened.Add(1)
				}
			case <-quit:
				return
			}
		}
	}()
	defer func() { close(quit); <-drained }()
	benchWaitFor(b, "connection to the mailserver", func() bool { return node.PeerCount() >= 1 })

	now := uint32(time.Now().Unix())
	req := whisper.HistoryRequest{
		Request: mailformat.Request{Lower: now - 3*3600, Upper: now + 60, Bloom: codec.Bloom(topics...), Limit: pageLimit},
		Format:  server.format,
		SymKey:  codec.SymKeyFromPassword(DefaultMailserverPassword),
		Timeout: benchWait,
	}
	b.StartTimer()
	start := time.Now()
	for page := 0; ; page++ {
		if page > n/pageLimit+10 {
			b.Fatalf("more pages than envelopes")
		}
		p, err := node.RequestHistory(context.Background(), server.node.Enode().ID(), req)
		if err != nil {
			b.Fatal(err)
		}
		if p.Cursor == nil {
			break
		}
		req.Cursor = p.Cursor
	}
	took := time.Since(start)
	b.StopTimer()
	// Every page was on Received() when it returned; the reader may still
	// be counting the last ones.
	benchWaitFor(b, "the last envelopes counted", func() bool { return opened.Load() >= int64(n) })
	if got := opened.Load(); got > int64(n+n/pageLimit) {
		b.Fatalf("workers %d: opened %d envelopes, want %d and at most one repeat per page", workers, got, n)
	}
	return took
}

// catchUpOnce starts a fresh client of server whose node reads history on
// workers open workers and times its catch-up of n messages. It also
// returns the CPU time the process used meanwhile.
func catchUpOnce(b *testing.B, server *benchServer, n, workers int) (took, cpu time.Duration) {
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
	start, startCPU := time.Now(), processCPU(b)
	if err := c.mgr.Start(); err != nil {
		b.Fatal(err)
	}
	took = c.drain.waitAdded(b, int64(n)).Sub(start)
	cpu = processCPU(b) - startCPU
	b.StopTimer()
	if total := c.storedInCatchUpChats(); total != n {
		b.Fatalf("workers %d: stored %d messages, want %d", workers, total, n)
	}
	return took, cpu
}

// processCPU is the user and system time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
