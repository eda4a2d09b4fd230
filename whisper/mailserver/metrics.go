package mailserver

import (
	"fmt"
	"io"
)

// metric is one line of the Prometheus text format.
type metric struct {
	name, kind, help string
	value            float64
}

// WritePrometheus writes st in the Prometheus text exposition format
// (version 0.0.4). Gauges that are unknown (-1) are left out.
func (st Stats) WritePrometheus(w io.Writer) error {
	metrics := []metric{
		{"hush_archive_envelopes", "gauge", "Envelopes in the archive (estimated above a million on PostgreSQL).", float64(st.ArchiveEnvelopes)},
		{"hush_archive_bytes", "gauge", "Bytes the archive takes on disk.", float64(st.ArchiveBytes)},
		{"hush_peers", "gauge", "Connected peers.", float64(st.Peers)},
		{"hush_envelopes_archived_total", "counter", "Envelopes written to the archive by this server.", float64(st.Archived)},
		{"hush_envelopes_archive_failed_total", "counter", "Envelopes lost in failed archive writes.", float64(st.ArchiveFailed)},
		{"hush_archive_waits_total", "counter", "Times an incoming envelope waited for room in the archive queue.", float64(st.ArchiveWaits)},
		{"hush_envelopes_served_total", "counter", "Archived envelopes sent in answer to history requests.", float64(st.Sent)},
		{"hush_requests_total", "counter", "History requests received.", float64(st.Requests)},
		{"hush_requests_served_total", "counter", "History requests answered with a completion.", float64(st.Served)},
		{"hush_requests_refused_total", "counter", "History requests refused with an ERROR= reply.", float64(st.Refused)},
		{"hush_requests_dropped_total", "counter", "History requests dropped unanswered (the peer's previous one was still being served).", float64(st.Dropped)},
	}
	for _, m := range metrics {
		if m.kind == "gauge" && m.value < 0 {
			continue
		}
		if _, err := fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %.0f\n", m.name, m.help, m.name, m.kind, m.name, m.value); err != nil {
			return err
		}
	}
	return nil
}
