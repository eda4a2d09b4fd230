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

// Archive queues env for storage (whisperv6.MailServer). It never blocks
// whisper: when the queue is full the envelope is dropped and counted.
func (s *Server) Archive(env *whisperv6.Envelope) {
	if env == nil || s.isStopping() {
		return
	}
	raw, err := rlp.EncodeToBytes(env)
	if err != nil {
		s.log.Warn("not archiving envelope", "hash", env.Hash().Hex(), "err", err)
		return
	}
	// Sent time as whisper computes it, in the same wrapping uint32 arithmetic.
	item := archiveItem{key: Key(env.Expiry-env.TTL, env.Hash(), env.Topic), raw: raw}
	select {
	case s.queue <- item:
	default:
		// Logged by the writer, so that a flood costs one line per batch.
		s.dropped.Add(1)
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
		case <-s.stopping:
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

func (s *Server) flush(batch []archiveItem) {
	if n := s.dropped.Swap(0); n > 0 {
		s.log.Warn("archive queue full: envelopes dropped", "count", n)
	}
	if len(batch) == 0 {
		return
	}
	keys := make([][]byte, len(batch))
	raws := make([][]byte, len(batch))
	for i, item := range batch {
		keys[i], raws[i] = item.key, item.raw
	}
	if err := s.put(keys, raws); err != nil {
		s.log.Error("archive envelopes", "count", len(batch), "err", err)
	}
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
