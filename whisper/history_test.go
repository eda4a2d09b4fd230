package whisper

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"strings"
	"testing"
	"time"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// historyPair starts a node serving ms and a client connected to it.
func historyPair(t *testing.T, ms *testMailServer) (server, client *Node) {
	t.Helper()
	return historyPairWorkers(t, ms, 0)
}

// historyPairWorkers is historyPair with a client that reads history on
// the given number of open workers (0: one per core).
func historyPairWorkers(t *testing.T, ms *testMailServer, workers int) (server, client *Node) {
	t.Helper()
	t.Cleanup(ms.wg.Wait) // runs after the nodes stopped
	server, err := New(testNodeConfig(t, "mailserver"))
	if err != nil {
		t.Fatal(err)
	}
	server.RegisterMailServer(ms)
	ms.node = server
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Stop)
	cfg := testNodeConfig(t, "client", server.Enode())
	cfg.OpenWorkers = workers
	client = startNode(t, cfg)
	connected(t, 1, server, client)
	return server, client
}

// archived makes count signed envelopes on topic, sent one second apart
// from base (long expired: only a mailserver can deliver them).
func archived(t *testing.T, topic [4]byte, key []byte, signer *ecdsa.PrivateKey, base uint32, count int) []*whisperv6.Envelope {
	t.Helper()
	out := make([]*whisperv6.Envelope, 0, count)
	for i := range count {
		env, err := seal(&whisperv6.MessageParams{
			TTL: 10, Src: signer, KeySym: key, Topic: whisperv6.TopicType(topic),
			WorkTime: sealTimeout, PoW: 0.002, Payload: []byte{byte('a' + i)},
		})
		if err != nil {
			t.Fatal(err)
		}
		env.Expiry = base + uint32(i) + env.TTL // before any Hash() call
		out = append(out, env)
	}
	return out
}

func TestRequestHistoryFollowsTheCursor(t *testing.T) {
	t.Parallel()
	topic, key := topicOf("history"), chatKey(t, "history")
	alice := mustKey(t)
	base := uint32(time.Now().Add(-2 * time.Hour).Unix())
	ms := newTestMailServer(answerPages, archived(t, topic, key, alice, base, 5))
	server, client := historyPair(t, ms)
	if _, err := client.SubscribeSym(topic, key); err != nil {
		t.Fatal(err)
	}

	bloom := whisperv6.TopicToBloom(whisperv6.TopicType(topic))
	req := HistoryRequest{
		Request: mailformat.Request{Lower: base - 60, Upper: base + 60, Bloom: bloom, Limit: 2},
		Format:  mailformat.FormatStatus,
		Timeout: waitTimeout,
	}
	var pages []HistoryPage
	for range 5 {
		page, err := client.RequestHistory(context.Background(), server.Enode().ID(), req)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page)
		if page.Cursor == nil {
			break
		}
		req.Cursor = page.Cursor
	}

	wantCounts := []int{2, 2, 1}
	wantLast := []*whisperv6.Envelope{ms.envelopes[1], ms.envelopes[3], ms.envelopes[4]}
	if len(pages) != len(wantCounts) {
		t.Fatalf("got %d pages, want %d", len(pages), len(wantCounts))
	}
	for i, p := range pages {
		if p.Envelopes != wantCounts[i] {
			t.Errorf("page %d: %d envelopes, want %d", i, p.Envelopes, wantCounts[i])
		}
		if p.LastEnvelope != wantLast[i].Hash() {
			t.Errorf("page %d: last envelope %x, want %x", i, p.LastEnvelope, wantLast[i].Hash())
		}
		if (i < 2) != (len(p.Cursor) == mailformat.CursorLength) {
			t.Errorf("page %d: cursor %x", i, p.Cursor)
		}
	}

	// What the server decoded is what was asked, page after page.
	seen, problems := ms.seen()
	if len(problems) > 0 {
		t.Fatalf("mailserver problems: %v", problems)
	}
	if len(seen) != len(pages) {
		t.Fatalf("server saw %d requests, want %d", len(seen), len(pages))
	}
	for i, r := range seen {
		if r.id != pages[i].RequestID {
			t.Errorf("request %d: id %x, page says %x", i, r.id, pages[i].RequestID)
		}
		if !r.signed || r.format != mailformat.FormatStatus || r.req.Limit != 2 || !bytes.Equal(r.req.Bloom, bloom) ||
			r.req.Lower != base-60 || r.req.Upper != base+60 || r.req.Batch {
			t.Errorf("request %d decoded as %+v (signed %v, format %v)", i, r.req, r.signed, r.format)
		}
		var wantCursor []byte
		if i > 0 {
			wantCursor = pages[i-1].Cursor
		}
		if !bytes.Equal(r.req.Cursor, wantCursor) {
			t.Errorf("request %d: cursor %x, want %x", i, r.req.Cursor, wantCursor)
		}
	}

	// Every archived message reached the subscription, flagged Direct,
	// with its signer and original send time.
	in := &inbox{node: client}
	for i, e := range ms.envelopes {
		r := in.await(t, waitTimeout, "an archived message", withDirectHash(e.Hash()))
		if r.Signer == nil || !bytes.Equal(crypto.FromECDSAPub(r.Signer), crypto.FromECDSAPub(&alice.PublicKey)) {
			t.Errorf("archived message %d: wrong signer", i)
		}
		if r.Sent.Unix() != int64(e.Expiry-e.TTL) {
			t.Errorf("archived message %d: sent %v, want %d", i, r.Sent, e.Expiry-e.TTL)
		}
	}
}

func TestRequestHistoryReportsAnErrorReply(t *testing.T) {
	t.Parallel()
	ms := newTestMailServer(answerError, nil)
	server, client := historyPair(t, ms)
	page, err := client.RequestHistory(context.Background(), server.Enode().ID(), HistoryRequest{
		Request: mailformat.Request{Lower: 1, Upper: 2, Bloom: whisperv6.MakeFullNodeBloom()},
		Timeout: waitTimeout,
	})
	if err == nil || !strings.Contains(err.Error(), "rate limit exceeded") {
		t.Fatalf("err = %v, want the server's text", err)
	}
	if errors.Is(err, ErrRequestTimeout) {
		t.Error("an error reply reported as a timeout")
	}
	if page.RequestID == ([32]byte{}) {
		t.Error("no request id on a refused page")
	}
}

func TestRequestHistoryTimesOutWhenTheServerIsSilent(t *testing.T) {
	t.Parallel()
	ms := newTestMailServer(answerSilent, nil)
	server, client := historyPair(t, ms)
	start := time.Now()
	_, err := client.RequestHistory(context.Background(), server.Enode().ID(), HistoryRequest{
		Request: mailformat.Request{Lower: 1, Upper: 2, Bloom: whisperv6.MakeFullNodeBloom()},
		Timeout: 300 * time.Millisecond,
	})
	if !errors.Is(err, ErrRequestTimeout) {
		t.Fatalf("err = %v, want ErrRequestTimeout", err)
	}
	// Not the default: the request's own Timeout ended it.
	if took := time.Since(start); took >= DefaultHistoryTimeout {
		t.Errorf("timeout of 300ms took %s (the default is %s)", took, DefaultHistoryTimeout)
	}

	// The caller's own cancellation is not our timeout.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = client.RequestHistory(ctx, server.Enode().ID(), HistoryRequest{
		Request: mailformat.Request{Lower: 1, Upper: 2, Bloom: whisperv6.MakeFullNodeBloom()},
	})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrRequestTimeout) {
		t.Errorf("cancelled request: err = %v, want context.Canceled", err)
	}
}

func TestRequestHistoryGethFormatEndsAfterAQuietPeriod(t *testing.T) {
	t.Parallel()
	topic, key := topicOf("geth-history"), chatKey(t, "geth-history")
	base := uint32(time.Now().Add(-time.Hour).Unix())
	ms := newTestMailServer(answerPages, archived(t, topic, key, mustKey(t), base, 3))
	server, client := historyPair(t, ms)
	if _, err := client.SubscribeSym(topic, key); err != nil {
		t.Fatal(err)
	}
	page, err := client.RequestHistory(context.Background(), server.Enode().ID(), HistoryRequest{
		Request: mailformat.Request{Lower: base - 60, Upper: base + 60, Bloom: whisperv6.TopicToBloom(whisperv6.TopicType(topic)), Limit: 100},
		Format:  mailformat.FormatGeth,
		Quiet:   quietPeriod,
		Timeout: waitTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	if page.Envelopes != 3 || page.Cursor != nil || page.LastEnvelope != ms.envelopes[2].Hash() {
		t.Errorf("page = %+v, want 3 envelopes, no cursor, last %x", page, ms.envelopes[2].Hash())
	}
	seen, _ := ms.seen()
	if len(seen) != 1 || seen[0].format != mailformat.FormatGeth {
		t.Fatalf("server saw %+v, want one geth-format request", seen)
	}
	in := &inbox{node: client}
	for _, e := range ms.envelopes {
		in.await(t, waitTimeout, "an archived message", withDirectHash(e.Hash()))
	}
}

// TestRequestHistoryTimeoutBoundsSilenceNotLength: a page that keeps
// coming may take longer than Timeout in all (geth sends a whole catch-up
// as one page); only silence for Timeout fails it.
func TestRequestHistoryTimeoutBoundsSilenceNotLength(t *testing.T) {
	t.Parallel()
	topic, key := topicOf("slow-history"), chatKey(t, "slow-history")
	base := uint32(time.Now().Add(-time.Hour).Unix())
	ms := newTestMailServer(answerPages, archived(t, topic, key, mustKey(t), base, 8))
	// Gaps well inside Timeout and Quiet even on a loaded machine, yet the
	// page as a whole (a gap before each of 8 envelopes: 8 s) is longer
	// than Timeout.
	ms.gap = time.Second
	server, client := historyPair(t, ms)
	if _, err := client.SubscribeSym(topic, key); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	page, err := client.RequestHistory(context.Background(), server.Enode().ID(), HistoryRequest{
		Request: mailformat.Request{Lower: base - 60, Upper: base + 60, Bloom: whisperv6.TopicToBloom(whisperv6.TopicType(topic)), Limit: 100},
		Format:  mailformat.FormatGeth,
		Quiet:   5 * time.Second,
		Timeout: 6 * time.Second,
	})
	if err != nil {
		t.Fatalf("after %s: %v", time.Since(start), err)
	}
	if took := time.Since(start); took <= 6*time.Second {
		t.Fatalf("the page took %s, not longer than its Timeout: the test proves nothing", took)
	}
	if page.Envelopes != 8 {
		t.Fatalf("page has %d envelopes, want 8", page.Envelopes)
	}
}

func TestBatchedDirectEnvelopesAreSplitAndHostileOnesDropped(t *testing.T) {
	t.Parallel()
	topic, key := topicOf("batch"), chatKey(t, "batch")
	base := uint32(time.Now().Add(-time.Hour).Unix())
	ms := newTestMailServer(answerBatch, archived(t, topic, key, mustKey(t), base, 3))
	ms.extra = []*whisperv6.Envelope{poisonEnvelope(t, topic, key)}
	server, client := historyPair(t, ms)
	if _, err := client.SubscribeSym(topic, key); err != nil {
		t.Fatal(err)
	}
	page, err := client.RequestHistory(context.Background(), server.Enode().ID(), HistoryRequest{
		Request: mailformat.Request{Lower: base - 60, Upper: base + 60, Bloom: whisperv6.TopicToBloom(whisperv6.TopicType(topic))},
		Timeout: waitTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	if page.Envelopes != 3 {
		t.Errorf("page counted %d envelopes, want the 3 good ones", page.Envelopes)
	}
	in := &inbox{node: client}
	for _, e := range ms.envelopes {
		in.await(t, waitTimeout, "a batched archived message", withDirectHash(e.Hash()))
	}
	// whisperv6 drops a peer that sends a list in code 127; ours stays.
	if client.PeerCount() != 1 {
		t.Error("the mailserver was disconnected")
	}
	if in.saw(withHash(ms.extra[0].Hash())) {
		t.Error("the hostile envelope was delivered")
	}
}

func TestRequestHistoryNeedsAConnectedPeer(t *testing.T) {
	t.Parallel()
	client := newTestNode(t, "client")
	start := time.Now()
	_, err := client.RequestHistory(context.Background(), enode.PubkeyToIDV4(&mustKey(t).PublicKey), HistoryRequest{})
	if err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Fatalf("err = %v, want not connected", err)
	}
	if time.Since(start) > time.Second {
		t.Error("not-connected error was slow")
	}
}

func TestDirectEnvelopesFromAPeerWeDidNotAskAreDropped(t *testing.T) {
	t.Parallel()
	a := newTestNode(t, "a")
	b := newTestNode(t, "b", a.Enode())
	connected(t, 1, a, b)
	topic, key := topicOf("unasked"), chatKey(t, "unasked")
	if _, err := a.SubscribeSym(topic, key); err != nil {
		t.Fatal(err)
	}
	env := archived(t, topic, key, mustKey(t), uint32(time.Now().Add(-time.Hour).Unix()), 1)[0]
	aID := a.Enode().ID()

	if err := b.SendDirect(aID[:], env); err != nil {
		t.Fatal(err)
	}
	// Completions nobody waits for, and a malformed one, are ignored too.
	if err := b.SendCompletion(aID[:], mailformat.EncodeCompletion(mailformat.Completion{RequestID: [32]byte{1}})); err != nil {
		t.Fatal(err)
	}
	if err := b.SendCompletion(aID[:], []byte("short")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, waitTimeout, "the unasked envelope to be dropped", func() bool { return a.unsolicitedDirect.Load() == 1 })

	marker, err := b.Post(Post{Topic: topic, SymKey: key, Payload: []byte("marker")})
	if err != nil {
		t.Fatal(err)
	}
	in := &inbox{node: a}
	in.await(t, waitTimeout, "the marker", withHash(marker))
	if in.saw(withHash(env.Hash())) {
		t.Error("an unasked direct envelope was delivered")
	}
	if a.PeerCount() != 1 {
		t.Error("the peer was disconnected")
	}
}
