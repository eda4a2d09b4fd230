package mailserver

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"log/slog"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// baseTime is the upper bound of the PROTOCOL.md §6 reference request; tests place envelopes around it.
const baseTime = 1545930773

type harness struct {
	t       *testing.T
	s       *Server
	archive *memArchive
	sender  *recordingSender
	clock   *testClock
	key     []byte
	client  *ecdsa.PrivateKey
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{
		t:       t,
		archive: newMemArchive(),
		sender:  &recordingSender{},
		clock:   &testClock{now: time.Unix(baseTime+3600, 0)},
		key:     symKeyFromPassword(t, "status-offline-inbox"),
	}
	var err error
	if h.client, err = crypto.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	if cfg.SymKey == nil {
		cfg.SymKey = h.key
	}
	if cfg.Now == nil {
		cfg.Now = h.clock.Now
	}
	h.s = New(cfg, h.archive, h.sender)
	h.s.Start()
	t.Cleanup(h.s.Stop)
	return h
}

// store archives envelopes through the server and waits until written.
func (h *harness) store(envs ...*whisperv6.Envelope) {
	h.t.Helper()
	want := h.archive.count() + len(envs)
	for _, env := range envs {
		h.s.Archive(env)
	}
	waitFor(h.t, "envelopes archived", func() bool { return h.archive.count() == want })
}

// ask serves one request from peer and returns what the peer got. The
// clock moves on past the rate limit afterwards.
func (h *harness) ask(peer string, payload []byte) (requestID common.Hash, envelopes []common.Hash, c mailformat.Completion) {
	h.t.Helper()
	req := sealRequest(h.t, h.key, h.client, payload)
	h.s.serve([]byte(peer), req)
	envelopes, completions, _ := h.sender.take(peer)
	if len(completions) != 1 {
		h.t.Fatalf("peer %s got %d completions, want 1", peer, len(completions))
	}
	h.clock.advance(2 * time.Second)
	return req.Hash(), envelopes, completions[0]
}

func (h *harness) refused(peer string, req *whisperv6.Envelope, wantErr string) {
	h.t.Helper()
	h.s.serve([]byte(peer), req)
	envelopes, completions, raw := h.sender.take(peer)
	if len(envelopes) != 0 || len(completions) != 1 {
		h.t.Fatalf("want one error reply and no envelopes, got %d envelopes, %d completions", len(envelopes), len(completions))
	}
	c := completions[0]
	if !bytes.HasPrefix(raw[0], []byte("ERROR=")) || c.RequestID != req.Hash() || !strings.Contains(c.Err, wantErr) {
		h.t.Fatalf("reply %q (request %x), want ERROR= for %x containing %q", c.Err, c.RequestID, req.Hash(), wantErr)
	}
	h.clock.advance(2 * time.Second)
}

// inKeyOrder sorts envelopes as the archive orders them.
func inKeyOrder(envs []*whisperv6.Envelope) []common.Hash {
	sorted := append([]*whisperv6.Envelope(nil), envs...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		return bytes.Compare(Key(a.Expiry-a.TTL, a.Hash(), a.Topic), Key(b.Expiry-b.TTL, b.Hash(), b.Topic)) < 0
	})
	out := make([]common.Hash, len(sorted))
	for i, e := range sorted {
		out[i] = e.Hash()
	}
	return out
}

func statusBloom() []byte {
	return orBlooms(bloomByRule(topicOf("status")), bloomByRule(topicOf("status-core")))
}

func hashesEqual(a, b []common.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMailserverKeyIsVector(t *testing.T) {
	want, _ := hex.DecodeString("765df27c0765526f920ba742ff4b9452bb0064e016435ffccd81186aa6feaae8")
	if got := symKeyFromPassword(t, "status-offline-inbox"); !bytes.Equal(got, want) {
		t.Fatalf("key %x", got)
	}
}

func TestServePagesFollowCursor(t *testing.T) {
	h := newHarness(t, Config{})
	var envs []*whisperv6.Envelope
	for i := 0; i < 13; i++ {
		// Pairs share a second, so order within a second (by hash) matters too.
		envs = append(envs, chatEnvelope(t, "status", baseTime-100+uint32(i/2), "m"+string(rune('a'+i))))
	}
	h.store(envs...)
	want := inKeyOrder(envs)

	r := mailformat.Request{Lower: baseTime - 200, Upper: baseTime, Bloom: statusBloom(), Limit: 5}
	var got []common.Hash
	var pages [][]common.Hash
	for page := 0; page < 10; page++ {
		requestID, sentEnvs, c := h.ask("peer-a", mailformat.EncodeRequest(r, mailformat.FormatStatus))
		if c.Err != "" || c.RequestID != requestID {
			t.Fatalf("page %d: completion %+v", page, c)
		}
		if len(sentEnvs) == 0 || len(sentEnvs) > 5 || c.LastEnvelope != sentEnvs[len(sentEnvs)-1] {
			t.Fatalf("page %d: %d envelopes, last %x", page, len(sentEnvs), c.LastEnvelope)
		}
		if page > 0 {
			prev := pages[page-1]
			if sentEnvs[0] != prev[len(prev)-1] {
				t.Fatalf("page %d does not start with the previous page's last envelope", page)
			}
			sentEnvs = sentEnvs[1:]
		}
		pages = append(pages, sentEnvs)
		got = append(got, sentEnvs...)
		if c.Cursor == nil {
			break
		}
		if !bytes.Equal(c.Cursor[4:], c.LastEnvelope[:]) {
			t.Fatalf("page %d: cursor %x does not name the last envelope", page, c.Cursor)
		}
		r.Cursor = c.Cursor
	}
	if len(pages) != 3 {
		t.Errorf("%d pages, want 3 (13 envelopes, 5 a page, one repeated per edge)", len(pages))
	}
	if !hashesEqual(got, want) {
		t.Fatalf("paged envelopes differ from archive order:\n got %x\nwant %x", got, want)
	}
}

// More matches than one archive chunk: paging must not lose or repeat
// envelopes at chunk edges, and the "is there more" look-ahead may need
// the next chunk.
func TestServeAcrossScanChunks(t *testing.T) {
	h := newHarness(t, Config{})
	var envs []*whisperv6.Envelope
	for i := 0; i < readChunkRows+20; i++ {
		envs = append(envs, chatEnvelope(t, "status", baseTime-1000+uint32(i), "x"))
		if i%10 == 0 {
			envs = append(envs, chatEnvelope(t, "testing-adamb", baseTime-1000+uint32(i), "other"))
		}
	}
	h.store(envs...)
	var want []common.Hash
	for _, hash := range inKeyOrder(envs) {
		for _, e := range envs {
			if e.Hash() == hash && e.Topic == topicOf("status") {
				want = append(want, hash)
			}
		}
	}

	r := mailformat.Request{Lower: baseTime - 2000, Upper: baseTime, Bloom: statusBloom(), Limit: readChunkRows}
	_, first, c := h.ask("peer-a", mailformat.EncodeRequest(r, mailformat.FormatStatus))
	if len(first) != readChunkRows || c.Cursor == nil || !hashesEqual(first, want[:readChunkRows]) {
		t.Fatalf("first page: %d envelopes, cursor %x", len(first), c.Cursor)
	}
	r.Cursor = c.Cursor
	_, second, c := h.ask("peer-a", mailformat.EncodeRequest(r, mailformat.FormatStatus))
	if c.Cursor != nil || !hashesEqual(second, want[readChunkRows-1:]) {
		t.Fatalf("second page: %d envelopes, cursor %x", len(second), c.Cursor)
	}

	r = mailformat.Request{Lower: baseTime - 2000, Upper: baseTime, Bloom: statusBloom()}
	_, all, c := h.ask("peer-a", mailformat.EncodeRequest(r, mailformat.FormatStatus))
	if c.Cursor != nil || !hashesEqual(all, want) {
		t.Fatalf("default limit: %d of %d envelopes, cursor %x", len(all), len(want), c.Cursor)
	}
}

func TestServeBloomFilter(t *testing.T) {
	h := newHarness(t, Config{})
	status := chatEnvelope(t, "status", baseTime-10, "a")
	core := chatEnvelope(t, "status-core", baseTime-9, "b")
	discovery := chatEnvelope(t, "contact-discovery", baseTime-8, "c")
	adamb := chatEnvelope(t, "testing-adamb", baseTime-7, "d")
	h.store(status, core, discovery, adamb)

	_, got, c := h.ask("peer-a", mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 60, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus))
	if want := inKeyOrder([]*whisperv6.Envelope{status, core}); !hashesEqual(got, want) || c.Cursor != nil {
		t.Fatalf("status|status-core: got %x want %x", got, want)
	}
	_, got, _ = h.ask("peer-a", mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 60, Upper: baseTime, Bloom: bloomByRule(topicOf("contact-discovery"))}, mailformat.FormatGeth))
	if !hashesEqual(got, []common.Hash{discovery.Hash()}) {
		t.Fatalf("contact-discovery (geth format): got %x", got)
	}
	// Geth's 8-byte form asks for every topic.
	times := mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 60, Upper: baseTime}, mailformat.FormatGeth)[:8]
	_, got, _ = h.ask("peer-a", times)
	if want := inKeyOrder([]*whisperv6.Envelope{status, core, discovery, adamb}); !hashesEqual(got, want) {
		t.Fatalf("all topics: got %x want %x", got, want)
	}
	_, got, c = h.ask("peer-a", mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 60, Upper: baseTime, Bloom: make([]byte, 64)}, mailformat.FormatStatus))
	if len(got) != 0 || c.LastEnvelope != (common.Hash{}) || c.Cursor != nil || c.Err != "" {
		t.Fatalf("empty bloom: %d envelopes, completion %+v", len(got), c)
	}
}

func TestServeTimeRangeInclusive(t *testing.T) {
	h := newHarness(t, Config{})
	const lower, upper = baseTime - 100, baseTime - 50
	before := chatEnvelope(t, "status", lower-1, "before")
	first := chatEnvelope(t, "status", lower, "first")
	last := chatEnvelope(t, "status", upper, "last")
	after := chatEnvelope(t, "status", upper+1, "after")
	h.store(before, first, last, after)

	_, got, _ := h.ask("peer-a", mailformat.EncodeRequest(mailformat.Request{Lower: lower, Upper: upper, Bloom: statusBloom()}, mailformat.FormatStatus))
	if !hashesEqual(got, []common.Hash{first.Hash(), last.Hash()}) {
		t.Fatalf("got %x", got)
	}
	// A cursor before Lower does not widen the range.
	early := Key(lower-10, [32]byte{}, [4]byte{})[:mailformat.CursorLength]
	_, got, _ = h.ask("peer-a", mailformat.EncodeRequest(mailformat.Request{Lower: lower, Upper: upper, Bloom: statusBloom(), Cursor: early}, mailformat.FormatStatus))
	if !hashesEqual(got, []common.Hash{first.Hash(), last.Hash()}) {
		t.Fatalf("with early cursor: got %x", got)
	}
}

func TestServeUpperZeroMeansNowPlusMargin(t *testing.T) {
	h := newHarness(t, Config{})
	now := uint32(h.clock.Now().Unix())
	recent := chatEnvelope(t, "status", now-5, "recent")
	edge := chatEnvelope(t, "status", now+upperMargin, "edge")
	beyond := chatEnvelope(t, "status", now+upperMargin+1, "beyond")
	h.store(recent, edge, beyond)

	_, got, _ := h.ask("peer-a", mailformat.EncodeRequest(mailformat.Request{Lower: now - 3600, Upper: 0, Bloom: statusBloom()}, mailformat.FormatStatus))
	if !hashesEqual(got, []common.Hash{recent.Hash(), edge.Hash()}) {
		t.Fatalf("upper 0: got %x", got)
	}
	// wnode's "no upper bound" is cut to the same ceiling, so it fits MaxRange.
	h.clock.advance(-2 * time.Second) // back to the same now, so asked by another peer
	_, got, c := h.ask("peer-b", mailformat.EncodeRequest(mailformat.Request{Lower: now - 3600, Upper: math.MaxUint32, Bloom: statusBloom()}, mailformat.FormatGeth))
	if c.Err != "" || !hashesEqual(got, []common.Hash{recent.Hash(), edge.Hash()}) {
		t.Fatalf("upper 0xFFFFFFFF: got %x, %+v", got, c)
	}
}

// Geth's mailserver iterates to upper+1, which wraps to 0 for 0xFFFFFFFF
// and finds nothing. Near the end of uint32 time, that bound must still work.
func TestServeUpperMaxDoesNotWrap(t *testing.T) {
	h := newHarness(t, Config{})
	h.clock.now = time.Unix(math.MaxUint32-30, 0)
	atEnd := chatEnvelope(t, "status", math.MaxUint32, "end of time")
	justBefore := chatEnvelope(t, "status", math.MaxUint32-1, "almost")
	h.store(atEnd, justBefore)

	_, got, c := h.ask("peer-a", mailformat.EncodeRequest(mailformat.Request{Lower: math.MaxUint32 - 100, Upper: math.MaxUint32, Bloom: statusBloom()}, mailformat.FormatStatus))
	if c.Err != "" || !hashesEqual(got, []common.Hash{justBefore.Hash(), atEnd.Hash()}) {
		t.Fatalf("got %x, %+v", got, c)
	}
	_, got, _ = h.ask("peer-a", mailformat.EncodeRequest(mailformat.Request{Lower: math.MaxUint32, Upper: 0, Bloom: statusBloom()}, mailformat.FormatStatus))
	if !hashesEqual(got, []common.Hash{atEnd.Hash()}) {
		t.Fatalf("lower 0xFFFFFFFF, upper 0: got %x", got)
	}
}

func TestServeLimits(t *testing.T) {
	h := newHarness(t, Config{DefaultLimit: 4})
	var envs []*whisperv6.Envelope
	for i := 0; i < 6; i++ {
		envs = append(envs, chatEnvelope(t, "status", baseTime-uint32(i), "m"))
	}
	h.store(envs...)
	want := inKeyOrder(envs)
	for _, tc := range []struct {
		asked uint32
		sent  int
	}{{0, 4}, {100, 4}, {3, 3}, {1, 2}} {
		_, got, c := h.ask("peer-a", mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 60, Upper: baseTime, Bloom: statusBloom(), Limit: tc.asked}, mailformat.FormatStatus))
		if !hashesEqual(got, want[:tc.sent]) || c.Cursor == nil {
			t.Errorf("limit %d: sent %d, cursor %x; want %d and a cursor", tc.asked, len(got), c.Cursor, tc.sent)
		}
	}
}

func TestServeRefusals(t *testing.T) {
	h := newHarness(t, Config{})
	h.store(chatEnvelope(t, "status", baseTime-10, "secret history"))
	good := mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 60, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus)

	h.refused("peer-a", sealRequest(t, symKeyFromPassword(t, "wrong password"), h.client, good), "decryption failed")
	h.refused("peer-a", sealRequest(t, h.key, nil, good), "not signed")
	h.refused("peer-a", sealRequest(t, h.key, h.client, []byte("ten bytes!")), "invalid request payload")
	h.refused("peer-a", sealRequest(t, h.key, h.client,
		mailformat.EncodeRequest(mailformat.Request{Lower: baseTime, Upper: baseTime - 1, Bloom: statusBloom()}, mailformat.FormatStatus)), "lower")
	h.refused("peer-a", sealRequest(t, h.key, h.client,
		mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 30*24*3600, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus)), "too long")

	// An envelope that is not symmetric ciphertext at all.
	junk := &whisperv6.Envelope{Expiry: baseTime + 50, TTL: 50, Data: []byte{1, 2, 3}}
	if err := junk.Seal(&whisperv6.MessageParams{PoW: DefaultMinPoW, WorkTime: sealTimeout}); err != nil {
		t.Fatal(err)
	}
	h.refused("peer-a", wireCopy(t, junk), "decryption failed")
}

func TestServeRefusesLowPoW(t *testing.T) {
	h := newHarness(t, Config{MinPoW: 1000}) // far beyond what a request is sealed to
	req := sealRequest(t, h.key, h.client, mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 60, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus))
	h.refused("peer-a", req, "PoW too low")
}

func TestServeRateLimitPerPeer(t *testing.T) {
	h := newHarness(t, Config{RateBurst: 3})
	h.store(chatEnvelope(t, "status", baseTime-10, "hello"))
	payload := mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 60, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus)
	serveAt := func(peer string) mailformat.Completion {
		t.Helper()
		h.s.serve([]byte(peer), sealRequest(t, h.key, h.client, payload))
		_, completions, _ := h.sender.take(peer)
		if len(completions) != 1 {
			t.Fatalf("%s: %d completions", peer, len(completions))
		}
		return completions[0]
	}
	// A burst of three (a client following a cursor) passes; the fourth
	// back to back is refused.
	for i := range 3 {
		if c := serveAt("peer-a"); c.Err != "" {
			t.Fatalf("request %d of the burst refused: %s", i+1, c.Err)
		}
	}
	h.clock.advance(500 * time.Millisecond)
	if c := serveAt("peer-a"); c.Err != "rate limited" {
		t.Fatalf("request past the burst within a second: %+v", c)
	}
	if c := serveAt("peer-b"); c.Err != "" || c.LastEnvelope == (common.Hash{}) {
		t.Fatalf("other peer refused: %+v", c)
	}
	// One request is regained per interval, not the whole burst.
	h.clock.advance(500 * time.Millisecond)
	if c := serveAt("peer-a"); c.Err != "" {
		t.Fatalf("request after the interval refused: %s", c.Err)
	}
	if c := serveAt("peer-a"); c.Err != "rate limited" {
		t.Fatalf("second request after one interval: %+v", c)
	}
}

func TestDeliverOneRequestInFlightPerPeer(t *testing.T) {
	h := newHarness(t, Config{RateLimit: -1})
	h.store(chatEnvelope(t, "status", baseTime-10, "hello"))
	h.sender.hold, h.sender.release = "peer-a", make(chan struct{})
	payload := mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 60, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus)

	first := sealRequest(t, h.key, h.client, payload)
	h.s.deliver([]byte("peer-a"), first)
	waitFor(t, "peer-a's request in flight", func() bool {
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		return h.s.inFlight["peer-a"]
	})
	h.s.deliver([]byte("peer-a"), sealRequest(t, h.key, h.client, payload)) // dropped: busy
	h.s.deliver([]byte("peer-b"), sealRequest(t, h.key, h.client, payload))
	waitFor(t, "peer-b served while peer-a is busy", func() bool { return h.sender.completionsTo("peer-b") == 1 })
	if n := h.sender.completionsTo("peer-a"); n != 0 {
		t.Fatalf("peer-a got %d completions while held", n)
	}

	close(h.sender.release)
	waitFor(t, "peer-a served", func() bool { return h.sender.completionsTo("peer-a") == 1 })
	h.s.Stop()
	_, completions, _ := h.sender.take("peer-a")
	if len(completions) != 1 || completions[0].RequestID != first.Hash() {
		t.Fatalf("peer-a completions %+v, want only the first request's", completions)
	}
}

func TestServePanicDoesNotKillServer(t *testing.T) {
	h := newHarness(t, Config{RateLimit: -1})
	h.store(chatEnvelope(t, "status", baseTime-10, "hello"))
	h.sender.panicFor = "peer-a"
	payload := mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 60, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus)

	h.s.deliver([]byte("peer-a"), sealRequest(t, h.key, h.client, payload))
	waitFor(t, "panicking request to finish", func() bool {
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		return !h.s.inFlight["peer-a"]
	})
	h.sender.mu.Lock()
	h.sender.panicFor = ""
	h.sender.mu.Unlock()
	h.s.deliver([]byte("peer-a"), sealRequest(t, h.key, h.client, payload))
	waitFor(t, "peer-a served after the panic", func() bool { return h.sender.completionsTo("peer-a") == 1 })
}

func TestServeSkipsDamagedArchiveRows(t *testing.T) {
	var logged lockedBuffer
	h := newHarness(t, Config{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	good := chatEnvelope(t, "status", baseTime-10, "fine")
	h.store(good)
	topic := topicOf("status")
	badKey := Key(baseTime-20, [32]byte{1}, topic)
	notEnvelope := Key(baseTime-18, [32]byte{3}, topic)
	// A short key's last four bytes are not the topic, so a read by topic
	// never returns it; a read of every topic does, and skips it.
	shortKey := Key(baseTime-15, [32]byte{2}, topic)[:KeyLength-1]
	if err := h.archive.ArchivePut([][]byte{badKey, notEnvelope, shortKey}, [][]byte{{0xc1, 0x02}, {0xc1, 0xc0}, {0xc0}}); err != nil {
		t.Fatal(err)
	}
	_, got, c := h.ask("peer-a", mailformat.EncodeRequest(mailformat.Request{Lower: baseTime - 60, Upper: baseTime, Bloom: statusBloom()}, mailformat.FormatStatus))
	if !hashesEqual(got, []common.Hash{good.Hash()}) || c.Err != "" {
		t.Fatalf("got %x, %+v", got, c)
	}
	// One line per page, however many rows are damaged.
	if n := strings.Count(logged.String(), "unreadable"); n != 1 || !strings.Contains(logged.String(), "count=2 first-key=") {
		t.Fatalf("%d lines about damaged rows:\n%s", n, logged.String())
	}
}

// TestServeContinuationsSpendNoTokens: following the cursor the server
// handed out is one request, whatever the rate limit; a fresh request, or a
// cursor that was not issued to this peer, spends a token.
func TestServeContinuationsSpendNoTokens(t *testing.T) {
	h := newHarness(t, Config{RateBurst: 1})
	var envs []*whisperv6.Envelope
	for i := 0; i < 13; i++ {
		envs = append(envs, chatEnvelope(t, "status", baseTime-100+uint32(i), "m"+string(rune('a'+i))))
	}
	h.store(envs...)
	r := mailformat.Request{Lower: baseTime - 200, Upper: baseTime, Bloom: statusBloom(), Limit: 5}
	serve := func(r mailformat.Request) mailformat.Completion {
		t.Helper()
		h.s.serve([]byte("peer-a"), sealRequest(t, h.key, h.client, mailformat.EncodeRequest(r, mailformat.FormatStatus)))
		_, completions, _ := h.sender.take("peer-a")
		if len(completions) != 1 {
			t.Fatalf("%d completions", len(completions))
		}
		return completions[0]
	}
	var first []byte
	pages := 0
	for c := serve(r); ; c = serve(r) {
		if c.Err != "" {
			t.Fatalf("page %d refused: %s", pages+1, c.Err)
		}
		pages++
		if c.Cursor == nil {
			break
		}
		if first == nil {
			first = c.Cursor
		}
		r.Cursor = c.Cursor
	}
	if pages != 3 {
		t.Fatalf("%d pages, want 3", pages)
	}
	r.Cursor = nil
	if c := serve(r); c.Err != "rate limited" {
		t.Fatalf("fresh request past the burst: %+v", c)
	}
	r.Cursor = first // issued once, already used
	if c := serve(r); c.Err != "rate limited" {
		t.Fatalf("replayed cursor: %+v", c)
	}
}

// TestDeliverNextPageRightAfterCompletion: a client asks for the next page
// the moment it reads a completion; that request must find the peer's slot
// free, not be dropped as "one in flight".
func TestDeliverNextPageRightAfterCompletion(t *testing.T) {
	h := newHarness(t, Config{RateLimit: -1})
	var envs []*whisperv6.Envelope
	for i := 0; i < 6; i++ {
		envs = append(envs, chatEnvelope(t, "status", baseTime-100+uint32(i), "n"+string(rune('a'+i))))
	}
	h.store(envs...)
	r := mailformat.Request{Lower: baseTime - 200, Upper: baseTime, Bloom: statusBloom(), Limit: 4}
	h.sender.mu.Lock()
	h.sender.afterCompletion = func(peer string, payload []byte) {
		c, err := mailformat.DecodeCompletion(payload)
		if err != nil || c.Cursor == nil {
			return
		}
		next := r
		next.Cursor = c.Cursor
		h.s.deliver([]byte(peer), sealRequest(t, h.key, h.client, mailformat.EncodeRequest(next, mailformat.FormatStatus)))
	}
	h.sender.mu.Unlock()
	h.s.deliver([]byte("peer-a"), sealRequest(t, h.key, h.client, mailformat.EncodeRequest(r, mailformat.FormatStatus)))
	waitFor(t, "both pages", func() bool { return h.sender.completionsTo("peer-a") == 2 })
}

// A cursor outside the request's range neither widens it nor makes the
// server read: before Lower it is ignored, past Upper the page is empty
// and ends the request.
func TestServeCursorOutsideRange(t *testing.T) {
	h := newHarness(t, Config{})
	inside := chatEnvelope(t, "status", baseTime-50, "inside")
	later := chatEnvelope(t, "status", baseTime+10, "after the range")
	h.store(inside, later)
	r := mailformat.Request{Lower: baseTime - 100, Upper: baseTime, Bloom: statusBloom()}

	r.Cursor = Key(baseTime-1000, [32]byte{}, [4]byte{})[:mailformat.CursorLength]
	_, got, c := h.ask("peer-a", mailformat.EncodeRequest(r, mailformat.FormatStatus))
	if c.Err != "" || c.Cursor != nil || !hashesEqual(got, []common.Hash{inside.Hash()}) {
		t.Fatalf("cursor before the range: %x, %+v", got, c)
	}
	for _, cursor := range [][]byte{
		Key(baseTime+5, [32]byte{}, [4]byte{})[:mailformat.CursorLength],
		Key(baseTime+10, later.Hash(), [4]byte{})[:mailformat.CursorLength],
		bytes.Repeat([]byte{0xff}, mailformat.CursorLength),
	} {
		r.Cursor = cursor
		scans := h.archive.scans
		_, got, c = h.ask("peer-a", mailformat.EncodeRequest(r, mailformat.FormatStatus))
		if c.Err != "" || c.Cursor != nil || len(got) != 0 || c.LastEnvelope != (common.Hash{}) {
			t.Fatalf("cursor %x past the range: %x, %+v", cursor, got, c)
		}
		if h.archive.scans != scans {
			t.Fatalf("cursor %x past the range: archive read", cursor)
		}
	}
}

// A continuation is the previous request's next page: the issued cursor
// with another range or other topics is a fresh request and pays a token,
// so one token cannot walk the whole archive week by week.
func TestServeMovedContinuationSpendsToken(t *testing.T) {
	h := newHarness(t, Config{RateBurst: 1})
	var envs []*whisperv6.Envelope
	for i := 0; i < 6; i++ {
		envs = append(envs, chatEnvelope(t, "status", baseTime-100+uint32(i), "m"+string(rune('a'+i))))
	}
	h.store(envs...)
	r := mailformat.Request{Lower: baseTime - 200, Upper: baseTime, Bloom: statusBloom(), Limit: 2}
	_, _, c := h.ask("peer-a", mailformat.EncodeRequest(r, mailformat.FormatStatus))
	if c.Err != "" || c.Cursor == nil {
		t.Fatalf("first page: %+v", c)
	}
	for _, moved := range []mailformat.Request{
		{Lower: r.Lower + 1, Upper: r.Upper, Bloom: r.Bloom},
		{Lower: r.Lower, Upper: r.Upper + 1, Bloom: r.Bloom},
		{Lower: r.Lower, Upper: r.Upper, Bloom: bytes.Repeat([]byte{0xff}, mailformat.BloomLength)},
	} {
		h.clock.advance(-2 * time.Second) // no token regained between the tries
		moved.Limit, moved.Cursor = r.Limit, c.Cursor
		_, _, mc := h.ask("peer-a", mailformat.EncodeRequest(moved, mailformat.FormatStatus))
		if mc.Err != "rate limited" {
			t.Fatalf("moved continuation %+v: %+v", moved, mc)
		}
	}
	// The cursor was used up by the first moved try; a fresh page after a
	// token came back is served, and its own cursor continues it for free.
	h.clock.advance(2 * time.Second)
	_, _, c = h.ask("peer-a", mailformat.EncodeRequest(r, mailformat.FormatStatus))
	if c.Err != "" || c.Cursor == nil {
		t.Fatalf("fresh request: %+v", c)
	}
	h.clock.advance(-2 * time.Second)
	r.Cursor = c.Cursor
	_, _, c = h.ask("peer-a", mailformat.EncodeRequest(r, mailformat.FormatStatus))
	if c.Err != "" {
		t.Fatalf("continuation: %+v", c)
	}
}
