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
