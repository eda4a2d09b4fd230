package session

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/rlp"
	gethmail "github.com/ethereum/go-ethereum/whisper/mailserver"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/codec"
	"hush/store"
	"hush/whisper"
	"hush/whisper/mailformat"
	"hush/whisper/mailserver"
)

// catchUpChats are the chats whose history the catch-up benchmark fetches.
func catchUpChats() []string { return []string{"bench-a", "bench-b", "bench-c"} }

// BenchmarkCatchUp: a mailserver holds 100,000 envelopes for 3 chats (sent
// over the last two hours); a client that was offline starts and catches
// up. Two servers hold the same envelopes: hush's (whisper.Node +
// mailserver.Server + SQLite archive) and go-ethereum v1.9.15's
// whisper/mailserver (leveldb). hush's runs with its rate limit off: the
// default, a request a second after a burst of 10, would hold a 100-page
// catch-up to about a page a second. Each server runs on its own node in
// this process; the client connects over 127.0.0.1.
//
//   - session-hush, session-geth: a real session (status format to hush,
//     ?format=geth to geth) is started with the 3 chats joined and the
//     server connected; the time is from Start to the last message stored
//     and announced.
//   - session-hush-default-rate-limit (only with the environment variable
//     HUSH_BENCH_DEFAULT_RATE_LIMIT set; it takes over a minute): the same
//     against a hush server with its default rate limit.
//   - serve-hush, serve-geth: a bare node asks for everything (pages of
//     1000 from hush; one request to geth, which has no paging) and drops
//     what comes, so the server is the bottleneck.
//
// Every row reports serve-env/s: envelopes sent over the time the server
// was busy with requests (from a request's arrival to its last envelope or
// completion), so round trips between pages do not count against it.
func BenchmarkCatchUp(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	envs := catchUpEnvelopes(b, n)
	hush := newBenchHushServer(b, envs, mailserver.Config{RateLimit: -1})
	geth := newBenchGethServer(b, envs)

	b.Run("session-hush", func(b *testing.B) { benchCatchUpSession(b, hush, n) })
	b.Run("session-geth", func(b *testing.B) { benchCatchUpSession(b, geth, n) })
	b.Run("serve-hush", func(b *testing.B) { benchServe(b, hush, n) })
	b.Run("serve-geth", func(b *testing.B) { benchServe(b, geth, n) })
	if os.Getenv("HUSH_BENCH_DEFAULT_RATE_LIMIT") != "" {
		// hush's server as `hush serve` starts by default: a catch-up of
		// 100 pages is held to about a page a second after the first 10.
		limited := newBenchHushServer(b, envs, mailserver.Config{})
		b.Run("session-hush-default-rate-limit", func(b *testing.B) { benchCatchUpSession(b, limited, n) })
	}
}

// catchUpEnvelopes seals n signed public-chat envelopes, spread over the
// catch-up chats, 20 authors and the last two hours.
func catchUpEnvelopes(b *testing.B, n int) []*whisperv6.Envelope {
	b.Helper()
	start := time.Now()
	authors := benchKeys(b, 20)
	chats := catchUpChats()
	keys := make(map[string][]byte)
	for _, chat := range chats {
		keys[chat] = codec.SymKeyFromPassword(chat)
	}
	now := time.Now()
	from, to := now.Add(-2*time.Hour), now.Add(-time.Minute)
	step := to.Sub(from) / time.Duration(n)
	params := make([]*whisperv6.MessageParams, n)
	sent := make([]time.Time, n)
	for i := range params {
		chat := chats[i%len(chats)]
		sent[i] = from.Add(time.Duration(i) * step)
		params[i] = &whisperv6.MessageParams{
			TTL:     whisper.DefaultTTL,
			Src:     authors[i%len(authors)],
			KeySym:  keys[chat],
			Topic:   whisperv6.TopicType(codec.TopicFor(chat)),
			Payload: benchPayload(b, i, codec.MessageTypePublic, chat, sent[i]),
			// No PoW: archived envelopes are served and received as direct
			// (code 127) messages, which nobody checks for PoW.
		}
	}
	envs := benchSealAll(b, params)
	for i, env := range envs {
		// Re-date the envelope: it was sent at sent[i], long expired now.
		env.Expiry = uint32(sent[i].Unix()) + env.TTL
	}
	b.Logf("sealed %d envelopes in %v", n, time.Since(start))
	return envs
}

// benchServer is a mailserver node whose requests are timed.
type benchServer struct {
	name   string
	node   *whisper.Node
	format mailformat.Format
	busy   *busyClock
}

func (s *benchServer) mailserver() Mailserver {
	return Mailserver{Node: s.node.Enode(), Format: s.format}
}

// busyClock adds up the time a server spends on requests and the
// envelopes it sends.
type busyClock struct {
	mu      sync.Mutex
	started time.Time // arrival of the request being served; zero when idle
	busy    time.Duration
	sent    int
	pages   int // requests served
}

func (c *busyClock) begin() {
	c.mu.Lock()
	c.started = time.Now()
	c.pages++
	c.mu.Unlock()
}

func (c *busyClock) end() {
	c.mu.Lock()
	if !c.started.IsZero() {
		c.busy += time.Since(c.started)
		c.started = time.Time{}
	}
	c.mu.Unlock()
}

func (c *busyClock) envelopeSent() {
	c.mu.Lock()
	c.sent++
	c.mu.Unlock()
}

func (c *busyClock) reset() {
	c.mu.Lock()
	c.started, c.busy, c.sent, c.pages = time.Time{}, 0, 0, 0
	c.mu.Unlock()
}

func (c *busyClock) read() (busy time.Duration, sent, pages int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.busy, c.sent, c.pages
}

// timedHushServer times hush's mailserver: DeliverMail returns at once and
// serves in a goroutine, so the request ends at its completion.
type timedHushServer struct {
	*mailserver.Server
	busy *busyClock
}

func (s *timedHushServer) DeliverMail(peer *whisperv6.Peer, req *whisperv6.Envelope) {
	s.busy.begin()
	s.Server.DeliverMail(peer, req)
}

// timedSender is the hush server's way to its peers, counted.
type timedSender struct {
	node *whisper.Node
	busy *busyClock
}

func (s *timedSender) SendArchived(peerID []byte, raw []byte) error {
	err := s.node.SendArchived(peerID, raw)
	if err == nil {
		s.busy.envelopeSent()
	}
	return err
}

func (s *timedSender) SendCompletion(peerID []byte, payload []byte) error {
	s.busy.end()
	return s.node.SendCompletion(peerID, payload)
}

// newBenchHushServer is an in-process `hush serve` holding envs in a
// SQLite archive, configured by cfg (its key is set here).
func newBenchHushServer(b *testing.B, envs []*whisperv6.Envelope, cfg mailserver.Config) *benchServer {
	b.Helper()
	archive, err := store.Open(filepath.Join(b.TempDir(), "archive.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { archive.Close() })
	return newBenchHushServerOn(b, "hush", archive, envs, cfg)
}

// newBenchHushServerOn is newBenchHushServer on the given archive, which
// is filled with envs first.
func newBenchHushServerOn(b *testing.B, name string, archive mailserver.Archive, envs []*whisperv6.Envelope, cfg mailserver.Config) *benchServer {
	b.Helper()
	start := time.Now()
	const batch = 5000
	for lo := 0; lo < len(envs); lo += batch {
		var keys, raws [][]byte
		for _, env := range envs[lo:min(lo+batch, len(envs))] {
			raw, err := rlp.EncodeToBytes(env)
			if err != nil {
				b.Fatal(err)
			}
			keys = append(keys, mailserver.Key(env.Expiry-env.TTL, env.Hash(), env.Topic))
			raws = append(raws, raw)
		}
		if err := archive.ArchivePut(keys, raws); err != nil {
			b.Fatal(err)
		}
	}
	node, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: benchKey(b)})
	if err != nil {
		b.Fatal(err)
	}
	busy := &busyClock{}
	cfg.SymKey = codec.SymKeyFromPassword(DefaultMailserverPassword)
	server := mailserver.New(cfg, archive, &timedSender{node: node, busy: busy})
	node.RegisterMailServer(&timedHushServer{Server: server, busy: busy})
	server.Start()
	if err := node.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		node.Stop()
		server.Stop()
	})
	b.Logf("%s archive of %d envelopes written in %v", name, len(envs), time.Since(start))
	return &benchServer{name: name, node: node, format: mailformat.FormatStatus, busy: busy}
}

// timedGethServer times geth's mailserver, which serves a request before
// DeliverMail returns.
type timedGethServer struct {
	*gethmail.WMailServer
	busy *busyClock
}

func (s *timedGethServer) DeliverMail(peer *whisperv6.Peer, req *whisperv6.Envelope) {
	s.busy.begin()
	s.WMailServer.DeliverMail(peer, req)
	s.busy.end()
}

// newBenchGethServer runs go-ethereum v1.9.15's mailserver holding envs,
// written through its own Archive method.
func newBenchGethServer(b *testing.B, envs []*whisperv6.Envelope) *benchServer {
	b.Helper()
	return newBenchGethServerOn(b, "geth", envs, false)
}

// newBenchGethServerOn is newBenchGethServer named name; stock runs its
// node on go-ethereum's own rlpx connections (whisper.Config.StockTransport),
// as a geth node serves, instead of hush's coalesced ones.
func newBenchGethServerOn(b *testing.B, name string, envs []*whisperv6.Envelope, stock bool) *benchServer {
	b.Helper()
	start := time.Now()
	node, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: benchKey(b), StockTransport: stock})
	if err != nil {
		b.Fatal(err)
	}
	ms := new(gethmail.WMailServer)
	// geth checks the request's PoW against this; hush seals requests to 0.002.
	if err := ms.Init(node.Whisper(), b.TempDir(), DefaultMailserverPassword, whisper.DefaultPoW); err != nil {
		b.Fatal(err)
	}
	for _, env := range envs {
		ms.Archive(env)
	}
	busy := &busyClock{}
	node.RegisterMailServer(&timedGethServer{WMailServer: ms, busy: busy})
	if err := node.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		node.Stop()
		ms.Close()
	})
	b.Logf("%s archive of %d envelopes written in %v", name, len(envs), time.Since(start))
	return &benchServer{name: name, node: node, format: mailformat.FormatGeth, busy: busy}
}

func benchCatchUpSession(b *testing.B, server *benchServer, n int) {
	var wall time.Duration
	for range b.N {
		b.StopTimer()
		c := newBenchClient(b, benchClientOptions{
			peers:       []*enode.Node{server.node.Enode()},
			mailservers: []Mailserver{server.mailserver()},
		})
		for _, chat := range catchUpChats() {
			if _, err := c.store.JoinChat(chat, store.ChatPublic); err != nil {
				b.Fatal(err)
			}
		}
		benchWaitFor(b, "connection to the mailserver", func() bool { return c.node.PeerCount() >= 1 })
		server.busy.reset()
		b.StartTimer()
		start := time.Now()
		if err := c.mgr.Start(); err != nil {
			b.Fatal(err)
		}
		wall += c.drain.waitAdded(b, int64(n)).Sub(start)
		b.StopTimer()
		if total := c.storedInCatchUpChats(); total != n {
			b.Fatalf("stored %d messages, want %d", total, n)
		}
		c.close()
	}
	b.ReportMetric(wall.Seconds()/float64(b.N), "s-to-last")
	b.ReportMetric(float64(n*b.N)/wall.Seconds(), "msgs/s")
	serverRate(b, server, n)
}

// benchServe asks server for every envelope from a bare node that drops
// what it gets.
func benchServe(b *testing.B, server *benchServer, n int) {
	now := uint32(time.Now().Unix())
	var topics []codec.Topic
	for _, chat := range catchUpChats() {
		topics = append(topics, codec.TopicFor(chat))
	}
	base := whisper.HistoryRequest{
		Request: mailformat.Request{Lower: now - 3*3600, Upper: now + 60, Bloom: codec.Bloom(topics...), Limit: pageLimit},
		Format:  server.format,
		SymKey:  codec.SymKeyFromPassword(DefaultMailserverPassword),
		Timeout: benchWait,
		Quiet:   time.Second, // geth: the page ends a second after the last envelope
	}
	for range b.N {
		b.StopTimer()
		node, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: benchKey(b), Peers: []*enode.Node{server.node.Enode()}})
		if err != nil {
			b.Fatal(err)
		}
		if err := node.Start(); err != nil {
			b.Fatal(err)
		}
		benchWaitFor(b, "connection to the mailserver", func() bool { return node.PeerCount() >= 1 })
		server.busy.reset()
		b.StartTimer()
		req := base
		got := 0
		for page := 0; ; page++ {
			if page > n/pageLimit+10 {
				b.Fatalf("more pages than envelopes")
			}
			p, err := node.RequestHistory(context.Background(), server.node.Enode().ID(), req)
			if err != nil {
				b.Fatal(err)
			}
			got += p.Envelopes
			if p.Cursor == nil {
				break
			}
			req.Cursor = p.Cursor
		}
		b.StopTimer()
		node.Stop()
		if got < n || got > n+n/pageLimit {
			b.Fatalf("received %d envelopes, want %d and at most one repeat per page", got, n)
		}
	}
	serverRate(b, server, n)
}

// serverRate reports the server's envelopes per busy second of the last
// iteration. geth's mailserver sends through whisperv6 past any wrapper, so
// its count is the n envelopes the client was checked to have received.
func serverRate(b *testing.B, server *benchServer, n int) {
	busy, sent, pages := server.busy.read()
	// Each page of hush's (and status-go's) server starts with the last
	// envelope of the page before: PROTOCOL.md §4.4. A session may ask
	// more than the one request's pages (a second job whose range ends at
	// the last envelope), so the bound is the pages served.
	if server.format == mailformat.FormatStatus && (sent < n || sent > n+pages) {
		b.Fatalf("%s server counted %d envelopes sent in %d pages, want %d and at most one repeat per page", server.name, sent, pages, n)
	}
	b.ReportMetric(float64(n)/busy.Seconds(), "serve-env/s")
}

// storedInCatchUpChats counts the messages stored in catchUpChats.
func (c *benchClient) storedInCatchUpChats() int {
	total := 0
	for _, chat := range catchUpChats() {
		got, err := c.store.CountMessages(chat)
		if err != nil {
			c.tb.Fatal(err)
		}
		total += got
	}
	return total
}
