package mailserver

import (
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

type archiveItem struct {
	key, raw []byte
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
	if err := s.put(keys, raws); err != nil {
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
