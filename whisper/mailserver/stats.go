package mailserver

import (
	"sync/atomic"
	"time"
)

// reportEvery is how often the server logs its Stats (when they changed)
// and the refusal summaries of peers that went quiet.
const reportEvery = time.Minute

// Stats counts what a Server did since it was made.
type Stats struct {
	Archived      uint64 // envelopes handed to the archive's writes that succeeded
	ArchiveFailed uint64 // envelopes in writes that failed (each failure is logged as an error)
	ArchiveWaits  uint64 // times Archive had to wait for room in the writer's queue
	Requests      uint64 // history requests received
	Served        uint64 // requests answered with a completion
	Refused       uint64 // requests answered with an ERROR= reply
	Dropped       uint64 // requests not answered: the peer's previous one was still being served, or the server stopping
	Sent          uint64 // envelopes sent in answer to requests

	// Gauges, read when Stats is called: the archive's size (-1 when the
	// archive cannot tell; on PostgreSQL the count is estimated above a
	// million) and the connected peers (-1 without Config.PeerCount).
	ArchiveEnvelopes int64
	ArchiveBytes     int64
	Peers            int
}

// Sizer is an Archive that can tell its size; both of hush's archives are.
type Sizer interface {
	ArchiveSize() (envelopes, bytes int64, err error)
}

// sizeMaxAge is how long a read of the archive's size is reused: a size
// costs a query (on a large PostgreSQL archive, a catalog read), and
// metrics may be scraped more often than it changes much.
const sizeMaxAge = 10 * time.Second

// archiveSize returns the archive's size, read at most every sizeMaxAge.
func (s *Server) archiveSize() (envelopes, bytes int64) {
	sizer, ok := s.archive.(Sizer)
	if !ok {
		return -1, -1
	}
	s.sizeMu.Lock()
	defer s.sizeMu.Unlock()
	if !s.sizeAt.IsZero() && time.Since(s.sizeAt) < sizeMaxAge {
		return s.sizeEnvelopes, s.sizeBytes
	}
	n, b, err := sizer.ArchiveSize()
	if err != nil {
		s.log.Warn("read archive size", "err", err)
		n, b = -1, -1
	}
	s.sizeEnvelopes, s.sizeBytes, s.sizeAt = n, b, time.Now()
	return n, b
}

// counters are the live values behind Stats.
type counters struct {
	archived, archiveFailed, archiveWaits atomic.Uint64
	requests, served, refused, dropped    atomic.Uint64
	sent                                  atomic.Uint64
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	c := &s.counters
	st := Stats{
		Archived:      c.archived.Load(),
		ArchiveFailed: c.archiveFailed.Load(),
		ArchiveWaits:  c.archiveWaits.Load(),
		Requests:      c.requests.Load(),
		Served:        c.served.Load(),
		Refused:       c.refused.Load(),
		Dropped:       c.dropped.Load(),
		Sent:          c.sent.Load(),
	}
	st.ArchiveEnvelopes, st.ArchiveBytes = s.archiveSize()
	st.Peers = -1
	if s.cfg.PeerCount != nil {
		st.Peers = s.cfg.PeerCount()
	}
	return st
}

// reportLoop logs the stats and ended refusal windows every reportEvery
// until Stop, and once more at Stop.
func (s *Server) reportLoop() {
	defer s.serving.Done()
	ticker := time.NewTicker(reportEvery)
	defer ticker.Stop()
	var last Stats
	for {
		select {
		case <-s.stopping:
			s.report(&last, true)
			return
		case <-ticker.C:
			s.report(&last, false)
		}
	}
}

// report writes the stats if they changed since last, and the refusal
// summaries that are due (all of them when final).
func (s *Server) report(last *Stats, final bool) {
	s.refusals.flush(s.cfg.Now(), final)
	st := s.Stats()
	if st == *last && !final {
		return
	}
	*last = st
	s.log.Info("mailserver stats", "archived", st.Archived, "archive-failed", st.ArchiveFailed,
		"archive-waits", st.ArchiveWaits, "requests", st.Requests, "served", st.Served,
		"refused", st.Refused, "dropped", st.Dropped, "sent", st.Sent,
		"archive-envelopes", st.ArchiveEnvelopes, "archive-bytes", st.ArchiveBytes, "peers", st.Peers)
}
