package mailserver

import (
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

type archiveItem struct {
	key, raw []byte
	// synced, on an item without key, asks the writer to write what it
	// holds and close the channel (Sync).
	synced chan struct{}
}

// errArchiveStopped is Sync's answer once Stop began.
var errArchiveStopped = errors.New("archive stopped")

// Sync waits until every envelope handed to Archive before the call is
// written, and reports an error if a write attempted after since failed
// (so possibly one of them): a node that acknowledges a batch of
// envelopes as stored can pass the time the batch arrived, and acknowledge
// only when Sync returns nil. It waits at most one flush interval plus a
// write, and for room in the queue as Archive does.
func (s *Server) Sync(since time.Time) error {
	done := make(chan struct{})
	s.queueMu.RLock()
	if s.queueClosed {
		s.queueMu.RUnlock()
		return errArchiveStopped
	}
	select {
	case s.queue <- archiveItem{synced: done}:
	case <-s.stopping:
		s.queueMu.RUnlock()
		return errArchiveStopped
	}
	s.queueMu.RUnlock()
	<-done // the writer, or Stop's drain, closes it
	s.failMu.Lock()
	failed := s.lastFailure
	s.failMu.Unlock()
	if !failed.IsZero() && !failed.Before(since) {
		return fmt.Errorf("archive write failed at %s", failed.UTC().Format(time.TimeOnly))
	}
	return nil
}

// Archive queues env for storage (whisperv6.MailServer). A peer's
// acknowledgement may tell its sender that what this node accepted is
// archived, so nothing accepted is dropped here: when the writer's queue is
// full, Archive waits for room. whisperv6 calls it from the reading
// goroutine of the peer that sent the envelope, after its own (blocking)
// message queue, so the wait slows only that peer's intake, the way
// whisperv6 itself applies backpressure. Each wait is counted in
// Stats.ArchiveWaits and summarised in the log.
func (s *Server) Archive(env *whisperv6.Envelope) {
	if env == nil {
		return
	}
	raw, err := rlp.EncodeToBytes(env)
	if err != nil {
		s.log.Warn("not archiving envelope", "hash", env.Hash().Hex(), "err", err)
		return
	}
	// Sent time as whisper computes it, in the same wrapping uint32 arithmetic.
	item := archiveItem{key: Key(env.Expiry-env.TTL, env.Hash(), env.Topic), raw: raw}

	s.queueMu.RLock()
	defer s.queueMu.RUnlock()
	if s.queueClosed {
		s.log.Debug("not archiving envelope: server stopped", "hash", env.Hash().Hex())
		return
	}
	select {
	case s.queue <- item:
		return
	default:
	}
	// Logged by the writer, at most once per waitReportEvery.
	s.counters.archiveWaits.Add(1)
	s.waiting.Add(1)
	defer s.waiting.Add(-1)
	select {
	case s.queue <- item:
	case <-s.stopping:
		// Stop is under way: the writer (if it ever ran) is draining, but
		// the queue may stay full. Write this one directly rather than wait.
		select {
		case s.queue <- item:
		default:
			s.write([]archiveItem{item})
		}
	}
}

// writeArchive batches queued envelopes into ArchivePut calls: a batch is
// written when full or archiveFlushInterval after its first envelope.
func (s *Server) writeArchive() {
	defer close(s.writerDone)
	batch := make([]archiveItem, 0, archiveBatchSize)
	timer := time.NewTimer(archiveFlushInterval)
	timer.Stop()
	for {
		select {
		case item := <-s.queue:
			if item.synced != nil {
				timer.Stop()
				s.flush(batch)
				batch = batch[:0]
				close(item.synced)
				continue
			}
			if len(batch) == 0 {
				timer.Reset(archiveFlushInterval)
			}
			batch = append(batch, item)
			if len(batch) == archiveBatchSize {
				timer.Stop()
				s.flush(batch)
				batch = batch[:0]
			}
		case <-timer.C:
			s.flush(batch)
			batch = batch[:0]
		case <-s.sealed:
			timer.Stop()
			s.flush(s.drainQueue(batch))
			return
		}
	}
}

// drainQueue appends what is queued right now to batch, flushing full batches.
func (s *Server) drainQueue(batch []archiveItem) []archiveItem {
	for {
		select {
		case item := <-s.queue:
			if item.synced != nil {
				s.flush(batch)
				batch = batch[:0]
				close(item.synced)
				continue
			}
			batch = append(batch, item)
			if len(batch) >= archiveBatchSize {
				s.flush(batch)
				batch = batch[:0]
			}
		default:
			return batch
		}
	}
}

// waitReportEvery spaces the writer's lines about a full queue.
const waitReportEvery = 10 * time.Second

// flush writes batch; it runs on the writer (or on Stop when the writer
// never ran), which alone touches waitsLogged.
func (s *Server) flush(batch []archiveItem) {
	if waits := s.counters.archiveWaits.Load(); waits != s.waitsLogged && time.Since(s.waitsLoggedAt) >= waitReportEvery {
		s.log.Warn("archive queue full: peers wait for the writer", "waits", waits-s.waitsLogged,
			"waiting-now", s.waiting.Load())
		s.waitsLogged, s.waitsLoggedAt = waits, time.Now()
	}
	s.write(batch)
}

// write stores batch in one ArchivePut, counting and logging the outcome.
func (s *Server) write(batch []archiveItem) {
	if len(batch) == 0 {
		return
	}
	keys := make([][]byte, len(batch))
	raws := make([][]byte, len(batch))
	for i, item := range batch {
		keys[i], raws[i] = item.key, item.raw
	}
	attempt := time.Now()
	if err := s.put(keys, raws); err != nil {
		s.failMu.Lock()
		s.lastFailure = attempt
		s.failMu.Unlock()
		s.counters.archiveFailed.Add(uint64(len(batch)))
		s.log.Error("archive envelopes: lost", "count", len(batch), "err", err)
		return
	}
	s.counters.archived.Add(uint64(len(batch)))
}

// put shields the writer from a panicking store: losing a batch is better
// than losing the node.
func (s *Server) put(keys, raws [][]byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("archive put panicked: %v", p)
		}
	}()
	return s.archive.ArchivePut(keys, raws)
}
