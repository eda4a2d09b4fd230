package mailserver

import (
	"log/slog"
	"strings"
	"testing"

	"hush/whisper/mailformat"
)

// The stats line is written when something changed since the last one,
// and always at Stop.
func TestStatsReported(t *testing.T) {
	var logged lockedBuffer
	h := newHarness(t, Config{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	h.store(chatEnvelope(t, "status", baseTime-10, "a"), chatEnvelope(t, "status", baseTime-9, "b"))
	h.ask("peer-a", mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 60, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus))
	h.refused("peer-b", sealRequest(t, h.key, nil, []byte("x")), "not signed")

	var last Stats
	h.s.report(&last, false)
	h.s.report(&last, false)
	if n := strings.Count(logged.String(), "mailserver stats"); n != 1 {
		t.Fatalf("%d stats lines after two reports with one change:\n%s", n, logged.String())
	}
	want := "archived=2 archive-failed=0 archive-waits=0 requests=2 served=1 refused=1 dropped=0 sent=2"
	if !strings.Contains(logged.String(), want) {
		t.Fatalf("no line with %s:\n%s", want, logged.String())
	}
	h.s.Stop()
	if n := strings.Count(logged.String(), "mailserver stats"); n != 2 {
		t.Fatalf("%d stats lines after Stop", n)
	}
}

// The metrics text has every counter, and the gauges that are known.
func TestStatsWritePrometheus(t *testing.T) {
	var b strings.Builder
	st := Stats{Archived: 7, Requests: 3, Refused: 1, Sent: 12, ArchiveEnvelopes: 40, ArchiveBytes: 8192, Peers: -1}
	if err := st.WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# TYPE hush_envelopes_archived_total counter\nhush_envelopes_archived_total 7\n",
		"\nhush_requests_total 3\n", "\nhush_requests_refused_total 1\n", "\nhush_envelopes_served_total 12\n",
		"# TYPE hush_archive_envelopes gauge\nhush_archive_envelopes 40\n", "\nhush_archive_bytes 8192\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "hush_peers") {
		t.Errorf("unknown peer count written:\n%s", b.String())
	}
}
