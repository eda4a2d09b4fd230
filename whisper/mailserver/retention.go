package mailserver

import (
	"encoding/binary"
	"time"
)

// Pruner is an Archive that can forget old envelopes. hush's store is one;
// an archive that is not keeps everything.
type Pruner interface {
	ArchivePrune(before []byte) (int64, error) // delete keys < before
}

// pruneEvery is how often the archive drops envelopes past Retention.
const pruneEvery = time.Hour

// pruneLoop drops archived envelopes sent before now-Retention, at start and
// then every pruneEvery, until Stop.
func (s *Server) pruneLoop(p Pruner) {
	defer s.serving.Done()
	ticker := time.NewTicker(pruneEvery)
	defer ticker.Stop()
	for {
		s.prune(p)
		select {
		case <-s.stopping:
			return
		case <-ticker.C:
		}
	}
}

// prune deletes what was sent before the retention window.
func (s *Server) prune(p Pruner) {
	cutoff := s.cfg.Now().Add(-s.cfg.Retention)
	if cutoff.Unix() <= 0 {
		return
	}
	before := binary.BigEndian.AppendUint32(nil, uint32(cutoff.Unix()))
	n, err := p.ArchivePrune(before)
	if err != nil {
		s.log.Error("prune archive", "err", err)
		return
	}
	if n > 0 {
		s.log.Info("pruned archive", "envelopes", n, "sent-before", cutoff.UTC())
	}
}
