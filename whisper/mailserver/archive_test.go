package mailserver

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

func TestArchiveStoresKeyAndRaw(t *testing.T) {
	a := newMemArchive()
	s := New(Config{}, a, &recordingSender{})
	s.Start()
	env := chatEnvelope(t, "status", baseTime, "hello")
	s.Archive(env)
	waitFor(t, "flush after the batch interval", func() bool { return a.count() == 1 })
	s.Stop()

	key := Key(baseTime, env.Hash(), topicOf("status"))
	raw, ok := a.raws[string(key)]
	if !ok {
		t.Fatalf("stored under %x, want %x", a.keys[0], key)
	}
	var back whisperv6.Envelope
	if err := rlp.DecodeBytes(raw, &back); err != nil || back.Hash() != env.Hash() {
		t.Fatalf("stored raw does not decode to the envelope: %v", err)
	}
}

func TestArchiveBatchesWrites(t *testing.T) {
	a := newMemArchive()
	s := New(Config{}, a, &recordingSender{})
	const n = 600
	for i := 0; i < n; i++ {
		// Distinct envelopes without the cost of signing each.
		s.Archive(&whisperv6.Envelope{Expiry: baseTime + uint32(i), TTL: 10, Topic: topicOf("status"), Data: []byte{byte(i), byte(i >> 8)}})
	}
	s.Start()
	waitFor(t, "all envelopes written", func() bool { return a.count() == n })
	s.Stop()
	sizes := a.putSizes()
	total := 0
	for _, size := range sizes {
		if size > archiveBatchSize {
			t.Errorf("batch of %d exceeds %d", size, archiveBatchSize)
		}
		total += size
	}
	if total != n || len(sizes) > n/archiveBatchSize+3 {
		t.Fatalf("%d envelopes in %d writes %v; want them batched", total, len(sizes), sizes)
	}
}

// gatedArchive is a memArchive whose writes wait for gate to close, as a
// slow disk would make them.
type gatedArchive struct {
	*memArchive
	gate chan struct{}
}

func (g *gatedArchive) ArchivePut(keys, raws [][]byte) error {
	<-g.gate
	return g.memArchive.ArchivePut(keys, raws)
}

func testEnvelope(i int) *whisperv6.Envelope {
	return &whisperv6.Envelope{Expiry: baseTime + uint32(i), TTL: 10, Topic: topicOf("status"), Data: []byte{byte(i), byte(i >> 8)}}
}

// TestArchiveWaitsWhenQueueFull: envelopes the node accepted are never
// dropped for want of queue room; Archive waits for the writer instead, and
// says so in the stats.
func TestArchiveWaitsWhenQueueFull(t *testing.T) {
	a := &gatedArchive{memArchive: newMemArchive(), gate: make(chan struct{})}
	s := newServer(Config{}, a, &recordingSender{}, 4)
	s.Start()
	const n = 2 * archiveBatchSize // the writer holds one batch; the queue holds 4
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			s.Archive(testEnvelope(i))
		}
	}()
	waitFor(t, "Archive to wait for room", func() bool { return s.Stats().ArchiveWaits > 0 })
	select {
	case <-done:
		t.Fatal("every Archive call returned while the writer could not write")
	default:
	}
	close(a.gate)
	waitFor(t, "Archive calls to return", func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
	s.Stop()
	if got, st := a.count(), s.Stats(); got != n || st.Archived != n || st.ArchiveFailed != 0 {
		t.Fatalf("archived %d of %d, stats %+v", got, n, st)
	}
}

// TestStopStoresWaitingEnvelopes: Stop while Archive waits on a full queue
// (here no writer ever ran) stores those envelopes too.
func TestStopStoresWaitingEnvelopes(t *testing.T) {
	a := newMemArchive()
	s := newServer(Config{}, a, &recordingSender{}, 3)
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Archive(testEnvelope(i))
		}()
	}
	waitFor(t, "Archive calls waiting", func() bool { return s.waiting.Load() == n-3 })
	s.Stop()
	wg.Wait()
	if a.count() != n {
		t.Fatalf("archived %d of %d", a.count(), n)
	}
	s.Archive(testEnvelope(99))
	s.Stop()
	if a.count() != n {
		t.Fatal("archived after Stop")
	}
}

// failingArchive refuses every write.
type failingArchive struct{ *memArchive }

func (failingArchive) ArchivePut(keys, raws [][]byte) error { return errors.New("disk is full") }

func TestArchiveFailuresCounted(t *testing.T) {
	var logged lockedBuffer
	s := New(Config{Logger: slog.New(slog.NewTextHandler(&logged, nil))}, failingArchive{newMemArchive()}, &recordingSender{})
	s.Start()
	for i := range 5 {
		s.Archive(testEnvelope(i))
	}
	s.Stop()
	if st := s.Stats(); st.ArchiveFailed != 5 || st.Archived != 0 {
		t.Fatalf("stats %+v", st)
	}
	if !strings.Contains(logged.String(), "disk is full") || !strings.Contains(logged.String(), "level=ERROR") {
		t.Fatalf("failure not logged as an error:\n%s", logged.String())
	}
}

func TestStopFlushesQueue(t *testing.T) {
	a := newMemArchive()
	s := New(Config{}, a, &recordingSender{})
	s.Start()
	for i := 0; i < 300; i++ {
		s.Archive(&whisperv6.Envelope{Expiry: baseTime + uint32(i), TTL: 10, Data: []byte{byte(i), byte(i >> 8)}})
	}
	s.Stop()
	if a.count() != 300 {
		t.Fatalf("archived %d of 300 at Stop", a.count())
	}
}

// Sync returns once what Archive took before it is written.
func TestSyncWaitsForWrite(t *testing.T) {
	a := &gatedArchive{memArchive: newMemArchive(), gate: make(chan struct{})}
	s := New(Config{}, a, &recordingSender{})
	s.Start()
	defer s.Stop()
	since := time.Now()
	for i := range 3 {
		s.Archive(testEnvelope(i))
	}
	synced := make(chan error, 1)
	go func() { synced <- s.Sync(since) }()
	waitFor(t, "the writer to hold the envelopes", func() bool { return len(s.queue) == 0 })
	select {
	case err := <-synced:
		t.Fatalf("Sync returned (%v) before the write", err)
	default:
	}
	close(a.gate)
	if err := <-synced; err != nil || a.count() != 3 {
		t.Fatalf("Sync: %v with %d archived", err, a.count())
	}
}

// flakyArchive fails its writes while failing is set.
type flakyArchive struct {
	*memArchive
	failing atomic.Bool
}

func (f *flakyArchive) ArchivePut(keys, raws [][]byte) error {
	if f.failing.Load() {
		return errors.New("database or disk is full")
	}
	return f.memArchive.ArchivePut(keys, raws)
}

// Sync reports a failed write of what it waited for, and not one that
// came before since.
func TestSyncReportsFailedWrite(t *testing.T) {
	a := &flakyArchive{memArchive: newMemArchive()}
	a.failing.Store(true)
	s := New(Config{}, a, &recordingSender{})
	s.Start()
	defer s.Stop()
	since := time.Now()
	s.Archive(testEnvelope(1))
	if err := s.Sync(since); err == nil || a.count() != 0 {
		t.Fatalf("Sync after a failed write: %v, %d archived", err, a.count())
	}
	a.failing.Store(false)
	since = time.Now()
	s.Archive(testEnvelope(2))
	if err := s.Sync(since); err != nil || a.count() != 1 {
		t.Fatalf("Sync after a good write: %v, %d archived", err, a.count())
	}
	s.Stop()
	if err := s.Sync(time.Now()); !errors.Is(err, errArchiveStopped) {
		t.Fatalf("Sync after Stop: %v", err)
	}
}
