package session

import (
	"crypto/ecdsa"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/codec"
	"hush/store"
	"hush/whisper"
)

// benchWait bounds every wait in the benchmarks: a stuck pipeline fails the
// run instead of hanging it. It is not a performance limit.
const benchWait = 5 * time.Minute

// benchClient is one hush instance for a benchmark: identity, started node,
// store and a session that is built but not started, so that Start can be
// inside or outside the timed region.
type benchClient struct {
	tb    testing.TB
	id    *ecdsa.PrivateKey
	node  *whisper.Node
	store *store.Store
	mgr   *Manager
	drain *benchEventDrain
}

type benchClientOptions struct {
	identity    *ecdsa.PrivateKey // nil makes a new one
	peers       []*enode.Node
	mailservers []Mailserver
	minPoW      float64 // 0 means whisper.DefaultMinPoW
	openWorkers int     // the node's history open workers; 0 means one per core
	dbPath      string  // the client's database; "" means a new one in a temp dir
	// onEvent sees every event the session emits, with the time it was read.
	onEvent func(ev Event, at time.Time)
}

func newBenchClient(tb testing.TB, opts benchClientOptions) *benchClient {
	tb.Helper()
	id := opts.identity
	if id == nil {
		id = benchKey(tb)
	}
	path := opts.dbPath
	if path == "" {
		path = filepath.Join(tb.TempDir(), "hush.db")
	}
	st, err := store.Open(path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	node, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: benchKey(tb), Peers: opts.peers, MinPoW: opts.minPoW,
		OpenWorkers: opts.openWorkers})
	if err != nil {
		tb.Fatal(err)
	}
	if err := node.Start(); err != nil {
		tb.Fatal(err)
	}
	mgr, err := New(Config{Identity: id, Node: node, Store: st, Mailservers: opts.mailservers})
	if err != nil {
		tb.Fatal(err)
	}
	c := &benchClient{tb: tb, id: id, node: node, store: st, mgr: mgr}
	c.drain = benchDrainEvents(mgr.Events(), opts.onEvent)
	return c
}

// close stops everything the client started, in order.
func (c *benchClient) close() {
	c.mgr.Stop()
	c.node.Stop()
	c.drain.stop()
	if err := c.store.Close(); err != nil {
		c.tb.Errorf("close store: %v", err)
	}
}

// benchEventDrain reads a session's events as the UI would, so that emit never
// blocks, and counts the messages announced by MessagesAdded.
type benchEventDrain struct {
	added atomic.Int64
	quit  chan struct{}
	wg    sync.WaitGroup
}

func benchDrainEvents(events <-chan Event, onEvent func(Event, time.Time)) *benchEventDrain {
	d := &benchEventDrain{quit: make(chan struct{})}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for {
			select {
			case <-d.quit:
				return
			case ev := <-events:
				if ma, ok := ev.(MessagesAdded); ok {
					d.added.Add(int64(len(ma.Messages)))
				}
				if onEvent != nil {
					onEvent(ev, time.Now())
				}
			}
		}
	}()
	return d
}

func (d *benchEventDrain) stop() {
	close(d.quit)
	d.wg.Wait()
}

// waitAdded polls until at least n messages were announced; it returns the
// time it saw them. The poll interval (1 ms) bounds the timing error.
func (d *benchEventDrain) waitAdded(tb testing.TB, n int64) time.Time {
	tb.Helper()
	deadline := time.Now().Add(benchWait)
	for d.added.Load() < n {
		if time.Now().After(deadline) {
			tb.Fatalf("only %d of %d messages announced after %v", d.added.Load(), n, benchWait)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Now()
}

// benchWaitFor polls cond every millisecond until it holds.
func benchWaitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(benchWait)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func benchKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func benchKeys(tb testing.TB, n int) []*ecdsa.PrivateKey {
	tb.Helper()
	keys := make([]*ecdsa.PrivateKey, n)
	for i := range keys {
		keys[i] = benchKey(tb)
	}
	return keys
}

// benchPhrases make payloads the size of ordinary chat lines.
var benchPhrases = []string{
	"hey, is anyone around?",
	"the mailserver finally came back after the restart this morning",
	"ok",
	"did you see the new release notes? the sticker packs are back",
	"thanks!",
	"I will be offline for a week, catch you later",
	"has anyone tried running a node on a raspberry pi?",
	"lol",
}

// benchText is message i's text: a phrase and a number, 10 to 80 bytes.
func benchText(i int) string {
	return fmt.Sprintf("%s #%d", benchPhrases[i%len(benchPhrases)], i)
}

// benchPayload encodes message i as the c4 record a Status client sends.
func benchPayload(tb testing.TB, i int, messageType, chatID string, sent time.Time) []byte {
	tb.Helper()
	payload, err := codec.EncodeMessage(codec.Message{
		Text:        benchText(i),
		ContentType: codec.ContentTypeText,
		MessageType: messageType,
		Clock:       codec.NextClock(int64(i), sent),
		Timestamp:   sent.UnixMilli(),
		ChatID:      chatID,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return payload
}

// benchSealAll builds, signs, encrypts and seals one envelope per params, on
// every core.
func benchSealAll(tb testing.TB, params []*whisperv6.MessageParams) []*whisperv6.Envelope {
	tb.Helper()
	envs := make([]*whisperv6.Envelope, len(params))
	errs := make([]error, len(params))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(params); i += workers {
				msg, err := whisperv6.NewSentMessage(params[i])
				if err != nil {
					errs[i] = err
					continue
				}
				envs[i], errs[i] = msg.Wrap(params[i])
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			tb.Fatalf("seal envelope %d: %v", i, err)
		}
	}
	return envs
}

// benchPercentile returns the p-th benchPercentile (0..100) of ds, nearest rank.
func benchPercentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// benchMillis is a duration in milliseconds, for ReportMetric.
func benchMillis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
