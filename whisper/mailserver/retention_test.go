package mailserver

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// prunableArchive is the in-memory archive with ArchivePrune, recording the
// bounds it was asked to prune at.
type prunableArchive struct {
	*memArchive
	mu     sync.Mutex
	bounds [][]byte
}

func (a *prunableArchive) ArchivePrune(before []byte) (int64, error) {
	a.mu.Lock()
	a.bounds = append(a.bounds, bytes.Clone(before))
	a.mu.Unlock()
	a.memArchive.mu.Lock()
	defer a.memArchive.mu.Unlock()
	var kept [][]byte
	for _, k := range a.keys {
		if bytes.Compare(k, before) < 0 {
			delete(a.raws, string(k))
			continue
		}
		kept = append(kept, k)
	}
	n := int64(len(a.keys) - len(kept))
	a.keys = kept
	return n, nil
}

// TestRetentionPrunesOldEnvelopes: on Start the server drops what was sent
// before the retention window and keeps the rest.
func TestRetentionPrunesOldEnvelopes(t *testing.T) {
	clock := &testClock{now: time.Unix(baseTime, 0)}
	archive := &prunableArchive{memArchive: newMemArchive()}
	old := chatEnvelope(t, "status", baseTime-2*3600, "two hours ago")
	recent := chatEnvelope(t, "status", baseTime-600, "ten minutes ago")
	keyOf := func(sent uint32, hash [32]byte) []byte { return Key(sent, hash, [4]byte{}) }
	keys := [][]byte{keyOf(old.Expiry-old.TTL, old.Hash()), keyOf(recent.Expiry-recent.TTL, recent.Hash())}
	if err := archive.ArchivePut(keys, [][]byte{{1}, {2}}); err != nil {
		t.Fatal(err)
	}
	s := New(Config{SymKey: make([]byte, 32), Retention: time.Hour, Now: clock.Now}, archive, &recordingSender{})
	s.Start()
	t.Cleanup(s.Stop)
	waitFor(t, "the old envelope pruned", func() bool { return archive.count() == 1 })
	archive.memArchive.mu.Lock()
	left := archive.keys[0]
	archive.memArchive.mu.Unlock()
	if !bytes.Equal(left, keys[1]) {
		t.Fatalf("kept %x, want the recent envelope", left)
	}
}

// TestRetentionOffKeepsEverything: a negative retention never prunes.
func TestRetentionOffKeepsEverything(t *testing.T) {
	archive := &prunableArchive{memArchive: newMemArchive()}
	s := New(Config{SymKey: make([]byte, 32), Retention: -1}, archive, &recordingSender{})
	s.Start()
	s.Stop()
	archive.mu.Lock()
	defer archive.mu.Unlock()
	if len(archive.bounds) != 0 {
		t.Fatalf("pruned with retention off: %x", archive.bounds)
	}
}
