package mailserver

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// TestRefusedFloodLogSummarised: ten seconds of refused requests from four
// peers (wrong key, TTL 0, past the rate limit, undecodable payload), as
// fast as the server answers them, plus requests dropped while one is in
// flight, write a line per peer, then one summary per peer with the counts.
func TestRefusedFloodLogSummarised(t *testing.T) {
	var logged lockedBuffer
	h := newHarness(t, Config{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	h.store(chatEnvelope(t, "status", baseTime-10, "history"))
	good := mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 60, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus)
	ttl0 := sealRequest(t, h.key, h.client, good)
	ttl0.TTL = 0
	flood := map[string]*whisperv6.Envelope{
		"peer-a": sealRequest(t, symKeyFromPassword(t, "wrong password"), h.client, good),
		"peer-b": wireCopy(t, ttl0),
		"peer-c": sealRequest(t, h.key, h.client, good),
		"peer-d": sealRequest(t, h.key, h.client, []byte("not a request")),
	}
	peers := []string{"peer-a", "peer-b", "peer-c", "peer-d"}

	const rounds = 2500 // 10,000 refusals in 10 s of the server's clock
	start := h.clock.Now()
	for i := range rounds {
		for _, peer := range peers {
			h.s.serve([]byte(peer), flood[peer])
		}
		h.clock.advance(10 * time.Second / rounds)
		if i%500 == 0 {
			for _, peer := range peers {
				h.sender.take(peer)
			}
		}
	}
	// Requests arriving while the peer's previous one is still served.
	h.sender.hold, h.sender.release = "peer-e", make(chan struct{})
	h.s.deliver([]byte("peer-e"), flood["peer-c"])
	waitFor(t, "peer-e's request in flight", func() bool {
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		return h.s.inFlight["peer-e"]
	})
	for range 1000 {
		h.s.deliver([]byte("peer-e"), flood["peer-c"])
	}
	close(h.sender.release)
	waitFor(t, "peer-e served", func() bool { return h.sender.completionsTo("peer-e") == 1 })

	size := logged.Len()
	t.Logf("%d refused and 1000 dropped requests in %v of server time: %d bytes of log", rounds*len(peers), h.clock.Now().Sub(start), size)
	if size >= 1<<20 {
		t.Fatalf("log grew by %d bytes", size)
	}
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	refused := 0
	for _, line := range lines {
		if strings.Contains(line, "refused") {
			refused++
		}
	}
	// One "request refused" per peer; peer-c's burst is served (and logged) first.
	if refused != len(peers)+1 {
		t.Fatalf("%d lines about refusals, want one per peer:\n%s", refused, logged.String())
	}
	for _, want := range []string{
		"peer=" + shortID([]byte("peer-a")) + " request=" + flood["peer-a"].Hash().Hex() + ` reason="decryption failed: `,
		"peer=" + shortID([]byte("peer-b")) + " request=" + flood["peer-b"].Hash().Hex() + ` reason="PoW too low: TTL 0`,
		"peer=" + shortID([]byte("peer-c")) + " request=" + flood["peer-c"].Hash().Hex() + ` reason="rate limited"`,
		"peer=" + shortID([]byte("peer-d")) + " request=" + flood["peer-d"].Hash().Hex() + ` reason="invalid request payload: `,
		"peer=" + shortID([]byte("peer-e")) + " request=" + flood["peer-c"].Hash().Hex() + ` reason="dropped: previous request still being served"`,
	} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("no line with %s", want)
		}
	}

	// A minute on, the summaries of peers gone quiet: counts per kind.
	h.clock.advance(refusalWindow)
	h.s.refusals.flush(h.clock.Now(), false)
	st := h.s.Stats()
	burst := uint64(DefaultRateBurst)
	for peer, want := range map[string]string{
		"peer-a": fmt.Sprintf("count=%d", rounds-1) + ` kinds="decryption failed=2499"`,
		"peer-b": fmt.Sprintf("count=%d", rounds-1) + ` kinds="PoW too low=2499"`,
		"peer-d": fmt.Sprintf("count=%d", rounds-1) + ` kinds="invalid request payload=2499"`,
		"peer-e": `count=999 kinds="previous request still being served=999"`,
	} {
		if !strings.Contains(logged.String(), "peer="+shortID([]byte(peer))+" "+want) {
			t.Errorf("no summary for %s with %s:\n%s", peer, want, logged.String())
		}
	}
	// peer-c regains one request every second of the ten.
	if !strings.Contains(logged.String(), "peer="+shortID([]byte("peer-c"))+" count=") {
		t.Errorf("no summary for peer-c")
	}
	if want := uint64(4*rounds + 1001); st.Requests != want || st.Dropped != 1000 || st.Served < burst+1 || st.Refused+st.Served != 4*rounds+1 {
		t.Errorf("stats %+v; want %d requests, 1000 dropped", st, want)
	}
}

// A peer that keeps being refused writes two lines a minute: the first
// refusal of each window and the summary of the one before.
func TestRefusalLogWindows(t *testing.T) {
	var logged lockedBuffer
	l := newRefusalLog(slog.New(slog.NewTextHandler(&logged, nil)))
	at := time.Unix(baseTime, 0)
	for i := range 3 * 60 * 100 { // three minutes, 100 a second
		l.note(at.Add(time.Duration(i)*10*time.Millisecond), []byte("peer-a"), stringer("0x01"), "rate limited", errRateLimited)
	}
	l.flush(at.Add(10*time.Minute), false)
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d lines, want 3 first refusals and 3 summaries:\n%s", len(lines), logged.String())
	}
	if strings.Count(logged.String(), `count=5999 kinds="rate limited=5999"`) != 3 {
		t.Fatalf("summaries do not count 5999 a window:\n%s", logged.String())
	}
}

// Past maxRefusalPeers open windows, further peers share one.
func TestRefusalLogBoundsPeers(t *testing.T) {
	var logged lockedBuffer
	l := newRefusalLog(slog.New(slog.NewTextHandler(&logged, nil)))
	at := time.Unix(baseTime, 0)
	for i := range maxRefusalPeers + 500 {
		l.note(at, []byte(fmt.Sprint("peer-", i)), stringer("0x01"), "rate limited", errRateLimited)
	}
	if len(l.peers) != maxRefusalPeers+1 {
		t.Fatalf("%d windows open", len(l.peers))
	}
	l.flush(at, true)
	if !strings.Contains(logged.String(), "peer=others count=499") {
		t.Fatalf("no summary for the others")
	}
	if len(l.peers) != 0 {
		t.Fatalf("%d windows left after a final flush", len(l.peers))
	}
}

type stringer string

func (s stringer) String() string { return string(s) }
