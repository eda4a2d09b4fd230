package session

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/codec"
	"hush/store"
	"hush/whisper"
	"hush/whisper/mailformat"
	"hush/whisper/mailserver"
)

// TestCatchUpAfterMailserverReconnect: B's connection to the mailserver
// drops while A sends; by the time it comes back the lines are gone from
// every live pool and only the archive has them. B shows them with no
// command typed.
func TestCatchUpAfterMailserverReconnect(t *testing.T) {
	t.Parallel()
	ms := newMailserverNode(t, mailserver.Config{})
	proxy := newTCPProxy(t, ms.node.Enode())
	a := newClient(t, clientOptions{peers: []*enode.Node{ms.node.Enode()}})
	logs := &logRecorder{}
	t.Cleanup(func() {
		if t.Failed() {
			logs.dump(t)
		}
	})
	viaProxy := Mailserver{Node: proxy.enode(), Format: mailformat.FormatStatus}
	b := newClient(t, clientOptions{peers: []*enode.Node{proxy.enode()}, mailservers: []Mailserver{viaProxy}, logger: slog.New(logs)})
	waitPeers(t, 1, a, b)
	for _, c := range []*client{a, b} {
		if _, err := c.mgr.JoinPublic("status"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "B's join history", func() bool { ended, _, _ := b.events.syncEnded("status"); return ended })

	proxy.cut()
	waitFor(t, "B cut off", func() bool { return b.node.PeerCount() == 0 })
	var want []string
	for i := range 5 {
		text := fmt.Sprintf("missed %d", i)
		want = append(want, text)
		if err := a.mgr.Send("status", text); err != nil {
			t.Fatal(err)
		}
	}
	ms.archived(t, 5)
	// whisperv6 would hand B the lines live on reconnecting while they
	// live (TTL 10 s); wait until only the archive has them.
	waitFor(t, "the lines to expire from the relay's pool", func() bool { return len(ms.node.Whisper().Envelopes()) == 0 })
	ended := len(b.events.progress("status"))

	proxy.restore()
	waitFor(t, "the missed lines on B", func() bool {
		got := b.texts("status")
		return len(got) >= 5 && slices.Equal(got[len(got)-5:], want)
	})
	if !logs.has("history catch-up wanted", "why", "mailserver connected") {
		t.Fatal("no catch-up was asked for on reconnecting")
	}
	for _, m := range b.events.added("status") {
		if strings.HasPrefix(m.Text, "missed") && m.Outgoing {
			t.Fatalf("%q marked as ours", m.Text)
		}
	}
	// The catch-up that brought them says so; the UI shows its count.
	waitFor(t, "the catch-up to report 5 new messages", func() bool {
		for _, p := range b.events.progress("status")[ended:] {
			if p.Done && p.Messages == 5 {
				return true
			}
		}
		return false
	})
}

// TestCatchUpAfterClockJump: the wall clock moves an hour on (a resumed
// laptop); the clock watch notices and catches up without a reconnection.
func TestCatchUpAfterClockJump(t *testing.T) {
	t.Parallel()
	ms := newMailserverNode(t, mailserver.Config{})
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	logs := &logRecorder{}
	b := newClient(t, clientOptions{
		peers: []*enode.Node{ms.node.Enode()}, mailservers: []Mailserver{ms.mailserver()}, now: now, logger: slog.New(logs),
		tune: func(tn *syncTuning) { tn.clockTick, tn.clockJump = 50*time.Millisecond, 2*time.Second },
	})
	if _, err := b.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B's join history", func() bool { ended, _, _ := b.events.syncEnded("status"); return ended })
	author, _ := crypto.GenerateKey()
	start := time.Now()
	archiveTexts(t, ms.archive, author, "status", "while asleep", 5, start, start.Add(time.Second))
	if got := b.texts("status"); len(got) != 0 {
		t.Fatalf("B shows %q before the jump", got)
	}

	offset.Store(int64(time.Hour))
	waitFor(t, "the lines after the jump", func() bool { return len(b.texts("status")) == 5 })
	if !logs.has("history catch-up wanted", "why", "clock jumped") {
		t.Fatal("the catch-up was not asked for by the clock watch")
	}
}

// TestCatchUpStoreFailureKeepsMark: the disk is full during a catch-up. The
// mark stays, the user sees a red notice, and once writes work again the
// next catch-up fetches the same messages.
func TestCatchUpStoreFailureKeepsMark(t *testing.T) {
	t.Parallel()
	ms := newMailserverNode(t, mailserver.Config{})
	faults := &faultStore{}
	opts := clientOptions{
		peers: []*enode.Node{ms.node.Enode()}, mailservers: []Mailserver{ms.mailserver()},
		wrapStore: func(s Store) Store { faults.Store = s; return faults },
		tune:      func(tn *syncTuning) { tn.retryFirst = 300 * time.Millisecond },
	}
	b := newClient(t, opts)
	if _, err := b.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B's join history", func() bool { ended, _, _ := b.events.syncEnded("status"); return ended })
	// Away an hour: 40 lines came meanwhile.
	now := time.Now()
	mark := now.Add(-time.Hour).Unix()
	if err := b.store.SetSyncedTo([]string{"status"}, mark); err != nil {
		t.Fatal(err)
	}
	b.stop()
	author, _ := crypto.GenerateKey()
	archiveTexts(t, ms.archive, author, "status", "during", 40, now.Add(-50*time.Minute), now.Add(-time.Minute))

	faults.fail.Store(true)
	b.start(opts)
	waitFor(t, "the failure shown", func() bool {
		for _, n := range b.events.errNotices() {
			if strings.Contains(n, "disk is full") {
				return true
			}
		}
		return false
	})
	waitFor(t, "the catch-up failed", func() bool {
		_, errText, _ := b.events.syncEnded("status")
		return strings.Contains(errText, "disk is full")
	})
	if c, _, _ := b.store.Chat("status"); c.SyncedTo != mark {
		t.Fatalf("mark moved to %d with nothing stored (was %d)", c.SyncedTo, mark)
	}
	if n, _ := b.store.CountMessages("status"); n != 0 {
		t.Fatalf("%d stored on a full disk", n)
	}

	faults.fail.Store(false)
	waitFor(t, "the 40 lines fetched again", func() bool { n, _ := b.store.CountMessages("status"); return n == 40 })
	waitFor(t, "the mark moved on", func() bool { c, _, _ := b.store.Chat("status"); return c.SyncedTo >= now.Unix() })
}

// TestCatchUpEightDaysAway: a client away 8 days from a hush serve with
// default limits catches up the newest week without a single refusal,
// the last hour first, and says how many came; /history 7d and 30d then
// reach the older day, also without refusal.
func TestCatchUpEightDaysAway(t *testing.T) {
	t.Parallel()
	ms := newMailserverNode(t, mailserver.Config{}) // MaxRange: hush serve's default week
	author, _ := crypto.GenerateKey()
	now := time.Now()
	old := archiveTexts(t, ms.archive, author, "status", "week", 160, now.Add(-8*24*time.Hour), now.Add(-2*time.Hour))
	recent := archiveTexts(t, ms.archive, author, "status", "recent", 10, now.Add(-40*time.Minute), now.Add(-time.Minute))

	b := newClient(t, clientOptions{peers: []*enode.Node{ms.node.Enode()}})
	if _, err := b.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	if err := b.store.SetSyncedTo([]string{"status"}, now.Add(-8*24*time.Hour).Unix()); err != nil {
		t.Fatal(err)
	}
	logs := &logRecorder{}
	opts := clientOptions{peers: []*enode.Node{ms.node.Enode()}, mailservers: []Mailserver{ms.mailserver()}, logger: slog.New(logs)}
	b.restart(opts)

	inWeek := len(recent)
	for _, m := range old {
		if m.sent.After(now.Add(-maxGap)) {
			inWeek++
		}
	}
	waitFor(t, "the catch-up", func() bool { ended, _, _ := b.events.syncEnded("status"); return ended })
	if _, errText, n := b.events.syncEnded("status"); errText != "" || n != inWeek {
		t.Fatalf("catch-up ended with %q and %d new messages; want no error and %d", errText, n, inWeek)
	}
	if n, _ := b.store.CountMessages("status"); n != inWeek {
		t.Fatalf("stored %d, want the week's %d", n, inWeek)
	}
	lowers := logs.ints("history request", "lower")
	if len(lowers) < 2 {
		t.Fatalf("%d requests; want the last hour, then the rest of the week", len(lowers))
	}
	if first := time.Unix(lowers[0], 0); now.Sub(first) > recentFirst+time.Minute {
		t.Fatalf("first request from %v, %v before now; want the last hour first", first, now.Sub(first))
	}
	if logs.has("mailserver refused the range", "", "") {
		t.Fatal("the server refused a range")
	}
	if c, _, _ := b.store.Chat("status"); c.SyncedTo < now.Unix() {
		t.Fatalf("mark %d, want at least %d", c.SyncedTo, now.Unix())
	}

	for _, d := range []time.Duration{7 * 24 * time.Hour, 30 * 24 * time.Hour} {
		ended := b.events.countEnded("status")
		if err := b.mgr.RequestHistory("status", d); err != nil {
			t.Fatal(err)
		}
		waitFor(t, fmt.Sprintf("/history %v", d), func() bool { return b.events.countEnded("status") > ended })
		if _, errText, _ := b.events.syncEnded("status"); errText != "" {
			t.Fatalf("/history %v: %s", d, errText)
		}
	}
	if n, _ := b.store.CountMessages("status"); n != len(old)+len(recent) {
		t.Fatalf("after /history: %d stored, want all %d", n, len(old)+len(recent))
	}
	if logs.has("mailserver refused the range", "", "") {
		t.Fatal("the server refused a range")
	}
}

// TestCatchUpNarrowsOnRefusal: a server that takes only a day refuses the
// week-long window; the client halves (to what the refusal names) and
// gets everything.
func TestCatchUpNarrowsOnRefusal(t *testing.T) {
	ms := newMailserverNode(t, mailserver.Config{MaxRange: 24 * time.Hour})
	author, _ := crypto.GenerateKey()
	now := time.Now()
	archiveTexts(t, ms.archive, author, "status", "old", 30, now.Add(-3*24*time.Hour), now.Add(-time.Hour))
	b := newClient(t, clientOptions{peers: []*enode.Node{ms.node.Enode()}})
	if _, err := b.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	if err := b.store.SetSyncedTo([]string{"status"}, now.Add(-4*24*time.Hour).Unix()); err != nil {
		t.Fatal(err)
	}
	logs := &logRecorder{}
	b.restart(clientOptions{peers: []*enode.Node{ms.node.Enode()}, mailservers: []Mailserver{ms.mailserver()}, logger: slog.New(logs)})
	waitFor(t, "the catch-up", func() bool { ended, _, _ := b.events.syncEnded("status"); return ended })
	if _, errText, n := b.events.syncEnded("status"); errText != "" || n != 30 {
		t.Fatalf("catch-up ended with %q, %d new; want success with 30", errText, n)
	}
	if !logs.has("mailserver refused the range", "", "") {
		t.Fatal("no refusal: the test did not test narrowing")
	}
}

// TestHistoryRangeNeverWraps: a message dated 1970 is the oldest of a chat;
// /history from it must not wrap the range around (issue: "lower 4294960097
// above upper 81").
func TestHistoryRangeNeverWraps(t *testing.T) {
	ms := newMailserverNode(t, mailserver.Config{})
	logs := &logRecorder{}
	b := newClient(t, clientOptions{peers: []*enode.Node{ms.node.Enode()}, mailservers: []Mailserver{ms.mailserver()}, logger: slog.New(logs)})
	if _, err := b.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B's join history", func() bool { ended, _, _ := b.events.syncEnded("status"); return ended })
	author, _ := crypto.GenerateKey()
	var id [32]byte
	rand.Read(id[:])
	if _, err := b.store.AddMessage(store.Message{
		ID: id, EnvelopeHash: id, ChatID: "status", Sender: crypto.FromECDSAPub(&author.PublicKey), Clock: 1, Timestamp: 1000,
		ContentType: "text/plain", MessageType: "public-group-user-message", Text: "from 1970",
	}); err != nil {
		t.Fatal(err)
	}
	ended := b.events.countEnded("status")
	if err := b.mgr.RequestHistory("status", 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "/history", func() bool { return b.events.countEnded("status") > ended })
	if _, errText, _ := b.events.syncEnded("status"); errText != "" {
		t.Fatalf("/history from a 1970 message: %s", errText)
	}
	lowers, uppers := logs.ints("history request", "lower"), logs.ints("history request", "upper")
	if l, u := lowers[len(lowers)-1], uppers[len(uppers)-1]; l > u || u > time.Now().Unix()+120 {
		t.Fatalf("request [%d, %d]", l, u)
	}
}

func TestSplitSpans(t *testing.T) {
	week := spanWidth(defaultMaxRange)
	if got := week + requestSlack; got != int64(defaultMaxRange/time.Second) {
		t.Fatalf("a full span asks %d s, want %d", got, int64(defaultMaxRange/time.Second))
	}
	s := span{1000, 1000 + 3*week + 5}
	for _, newest := range []bool{false, true} {
		parts := split(s, week, newest)
		if len(parts) != 4 {
			t.Fatalf("newest=%v: %d parts %v", newest, len(parts), parts)
		}
		covered := int64(0)
		for i, p := range parts {
			lower, upper := p.bounds()
			if int64(upper)-int64(lower) > int64(defaultMaxRange/time.Second) {
				t.Fatalf("part %d asks %d s", i, upper-lower)
			}
			covered += p.width() + 1
			if i > 0 && newest && p.to != parts[i-1].from-1 || i > 0 && !newest && p.from != parts[i-1].to+1 {
				t.Fatalf("newest=%v: parts %v leave a gap or overlap", newest, parts)
			}
		}
		if covered != s.width()+1 {
			t.Fatalf("newest=%v: covered %d s of %d", newest, covered, s.width()+1)
		}
	}
	if lower, upper := (span{-5000, 10}).bounds(); lower != 0 || upper != 70 {
		t.Fatalf("bounds of a span before 1970: %d, %d", lower, upper)
	}
	if _, upper := (span{0, 1 << 40}).bounds(); upper != 1<<32-1 {
		t.Fatalf("bounds past 2106: upper %d", upper)
	}
	if plan := newestFirstPlan(span{0, 7 * 86400}); len(plan) != 2 || plan[0].width() != int64(recentFirst/time.Second) || plan[1].to != plan[0].from-1 {
		t.Fatalf("newest-first plan %v", plan)
	}
}

// hostileServer is a mailserver that never lets a request end honestly.
// Its first requests get behaviour; later ones complete at once, empty.
// It answers its first request only once hold is closed, and records the
// bloom of every request in the order they came.
type hostileServer struct {
	t         *testing.T
	node      *whisper.Node
	behaviour func(h *hostileServer, peer []byte, id [32]byte)
	hostile   int // how many requests get behaviour
	requests  atomic.Int64
	hold      chan struct{}
	quit      chan struct{}
	wg        sync.WaitGroup

	mu     sync.Mutex
	blooms [][]byte
}

func newHostileServer(t *testing.T, hostile int, behaviour func(h *hostileServer, peer []byte, id [32]byte)) *hostileServer {
	t.Helper()
	h := &hostileServer{t: t, node: newServerNode(t), behaviour: behaviour, hostile: hostile, hold: make(chan struct{}), quit: make(chan struct{})}
	h.node.RegisterMailServer(h)
	if err := h.node.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		close(h.quit)
		h.wg.Wait()
		h.node.Stop()
	})
	return h
}

func (h *hostileServer) Archive(*whisperv6.Envelope) {}

func (h *hostileServer) DeliverMail(peer *whisperv6.Peer, req *whisperv6.Envelope) {
	var bloom []byte
	if msg, err := req.OpenSymmetric(codec.SymKeyFromPassword(DefaultMailserverPassword)); err != nil || !msg.ValidateAndParse() {
		h.t.Errorf("hostile server cannot open a request: %v", err)
	} else if r, _, err := mailformat.DecodeRequest(msg.Payload); err != nil {
		h.t.Errorf("hostile server: %v", err)
	} else {
		bloom = r.Bloom
	}
	h.mu.Lock()
	h.blooms = append(h.blooms, bloom)
	h.mu.Unlock()
	n := h.requests.Add(1)
	id := [32]byte(req.Hash())
	peerID := peer.ID()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		if n == 1 {
			select {
			case <-h.hold:
			case <-h.quit:
				return
			}
		}
		if int(n) <= h.hostile {
			h.behaviour(h, peerID, id)
			return
		}
		h.node.SendCompletion(peerID, mailformat.EncodeCompletion(mailformat.Completion{RequestID: id}))
	}()
}

// junk is a direct envelope nobody can open: activity, nothing more.
func (h *hostileServer) junk(t *testing.T) *whisperv6.Envelope {
	key := make([]byte, 32)
	rand.Read(key)
	params := &whisperv6.MessageParams{TTL: 10, KeySym: key, Topic: whisperv6.TopicType{1, 2, 3, 4}, Payload: []byte("drip")}
	msg, err := whisperv6.NewSentMessage(params)
	if err != nil {
		t.Fatal(err)
	}
	env, err := msg.Wrap(params)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestCatchUpHostileMailserver: a server that repeats a cursor forever, one
// that pages forever with new cursors, and one that trickles an envelope
// every 300 ms without ever completing are each stopped within bounds, and
// a /join's request made meanwhile is served.
func TestCatchUpHostileMailserver(t *testing.T) {
	t.Parallel()
	tune := func(pageDeadline time.Duration) func(tn *syncTuning) {
		return func(tn *syncTuning) {
			tn.pageDeadline, tn.requestDeadline, tn.maxPages = pageDeadline, 60*time.Second, 6
			tn.retryFirst = time.Hour // one catch-up per test
		}
	}
	cursor := func(i int) []byte { c := make([]byte, mailformat.CursorLength); c[0] = byte(i); c[35] = 1; return c }
	for _, tc := range []struct {
		name      string
		behaviour func(t *testing.T) func(h *hostileServer, peer []byte, id [32]byte)
		hostile   int
		want      string
		// pageDeadline: short for the trickle, long enough elsewhere
		// that a loaded machine does not turn the case into the trickle.
		pageDeadline time.Duration
	}{
		{"repeating cursor", func(t *testing.T) func(*hostileServer, []byte, [32]byte) {
			return func(h *hostileServer, peer []byte, id [32]byte) {
				h.node.SendDirect(peer, h.junk(t))
				h.node.SendCompletion(peer, mailformat.EncodeCompletion(mailformat.Completion{RequestID: id, Cursor: cursor(7)}))
			}
		}, 100, "cursor it had sent before", 15 * time.Second},
		{"endless pages", func(t *testing.T) func(*hostileServer, []byte, [32]byte) {
			var page atomic.Int64
			return func(h *hostileServer, peer []byte, id [32]byte) {
				h.node.SendDirect(peer, h.junk(t))
				h.node.SendCompletion(peer, mailformat.EncodeCompletion(mailformat.Completion{RequestID: id, Cursor: cursor(int(page.Add(1)))}))
			}
		}, 100, "too many pages", 15 * time.Second},
		{"trickle", func(t *testing.T) func(*hostileServer, []byte, [32]byte) {
			return func(h *hostileServer, peer []byte, id [32]byte) {
				tick := time.NewTicker(300 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-h.quit:
						return
					case <-tick.C:
						h.node.SendDirect(peer, h.junk(t))
					}
				}
			}
		}, 1, "too long for one page", 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostileServer(t, tc.hostile, tc.behaviour(t))
			ms := Mailserver{Node: h.node.Enode(), Format: mailformat.FormatStatus}
			b := newClient(t, clientOptions{peers: []*enode.Node{h.node.Enode()}})
			if _, err := b.mgr.JoinPublic("status"); err != nil {
				t.Fatal(err)
			}
			if err := b.store.SetSyncedTo([]string{"status"}, time.Now().Add(-time.Hour).Unix()); err != nil {
				t.Fatal(err)
			}
			b.restart(clientOptions{peers: []*enode.Node{h.node.Enode()}, mailservers: []Mailserver{ms}, tune: tune(tc.pageDeadline)})
			// The /join comes while the catch-up's first request is at the
			// server, unanswered.
			waitFor(t, "the catch-up's first request", func() bool { return h.requests.Load() > 0 })
			if _, err := b.mgr.JoinPublic("other"); err != nil {
				t.Fatal(err)
			}
			close(h.hold)
			waitFor(t, "the catch-up stopped", func() bool { ended, _, _ := b.events.syncEnded("status"); return ended })
			if _, errText, _ := b.events.syncEnded("status"); !strings.Contains(errText, tc.want) {
				t.Fatalf("catch-up ended with %q, want %q", errText, tc.want)
			}
			waitFor(t, "the join's history", func() bool { ended, _, _ := b.events.syncEnded("other"); return ended })
			// Not starved: the join's request is the very next one after
			// the page that was out when it came (the catch-up asks it
			// between two pages, or right after a page that ran out of
			// time ended the catch-up), not one after the catch-up's
			// remaining pages.
			h.mu.Lock()
			blooms := slices.Clone(h.blooms)
			h.mu.Unlock()
			status, other := codec.TopicFor("status"), codec.TopicFor("other")
			if len(blooms) < 2 || !bloomHas(blooms[0], status) || bloomHas(blooms[0], other) {
				t.Fatalf("%d requests; the first is not the catch-up's", len(blooms))
			}
			if !bloomHas(blooms[1], other) || bloomHas(blooms[1], status) {
				for i, bl := range blooms {
					t.Logf("request %d: catch-up %v, join %v", i+1, bloomHas(bl, status), bloomHas(bl, other))
				}
				t.Fatal("the join's request waited behind the catch-up's next pages")
			}
			// Bounded: the catch-up and the join each asked at most their
			// page cap, and no request goes out any more.
			n := h.requests.Load()
			if n > 2*6 {
				t.Fatalf("%d requests", n)
			}
			time.Sleep(500 * time.Millisecond) // nothing to wait for: checking that nothing happens
			if again := h.requests.Load(); again != n {
				t.Fatalf("requests went on: %d, then %d", n, again)
			}
		})
	}
}

func TestClockJumped(t *testing.T) {
	const tick, jump = 5 * time.Second, 20 * time.Second
	for _, tc := range []struct {
		name        string
		wall, mono  time.Duration
		wantTrigger bool
	}{
		{"a tick", tick, tick, false},
		{"a slow tick", tick + 10*time.Second, tick + 10*time.Second, false},
		{"SIGSTOP for a minute", time.Minute, time.Minute, true},
		{"suspended an hour (monotonic stood still)", time.Hour, tick, true},
		{"clock set forward", 2 * time.Hour, tick, true},
		{"clock set back", -time.Hour, tick, true},
		{"stopped, wall clock held", tick, time.Minute, true},
	} {
		if got := clockJumped(tc.wall, tc.mono, tick, jump); got != tc.wantTrigger {
			t.Errorf("%s: clockJumped = %v", tc.name, got)
		}
	}
}

// denseServer is an honest but slow mailserver: a request takes a page per
// pageHours of its range, each pageTime apart.
type denseServer struct {
	t         *testing.T
	node      *whisper.Node
	key       []byte
	pageHours uint32
	pageTime  time.Duration
	quit      chan struct{}
	wg        sync.WaitGroup
}

func (d *denseServer) Archive(*whisperv6.Envelope) {}

func (d *denseServer) DeliverMail(peer *whisperv6.Peer, env *whisperv6.Envelope) {
	msg, err := env.OpenSymmetric(d.key)
	if err != nil || !msg.ValidateAndParse() {
		d.t.Errorf("dense server cannot open a request: %v", err)
		return
	}
	req, _, err := mailformat.DecodeRequest(msg.Payload)
	if err != nil {
		d.t.Errorf("dense server: %v", err)
		return
	}
	pages := max(int((req.Upper-req.Lower)/(d.pageHours*3600)), 1)
	page := 0
	if req.Cursor != nil {
		page = int(req.Cursor[0])
	}
	id, peerID := [32]byte(env.Hash()), peer.ID()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		select {
		case <-time.After(d.pageTime):
		case <-d.quit:
			return
		}
		c := mailformat.Completion{RequestID: id}
		if page+1 < pages {
			c.Cursor = make([]byte, mailformat.CursorLength)
			c.Cursor[0] = byte(page + 1)
		}
		d.node.SendCompletion(peerID, mailformat.EncodeCompletion(c))
	}()
}

// TestCatchUpHalvesARangeThatTakesTooLong: a range whose request outlasts
// the request deadline (4 pages of 1 s against 3 s) is asked again in
// halves that each finish; the marks move. Few long pages rather than many
// short ones: a half (2 s of pages) has a second to spare for the round
// trips and request sealing of a loaded machine.
func TestCatchUpHalvesARangeThatTakesTooLong(t *testing.T) {
	t.Parallel()
	d := &denseServer{t: t, node: newServerNode(t), key: codec.SymKeyFromPassword(DefaultMailserverPassword),
		pageHours: 12, pageTime: time.Second, quit: make(chan struct{})}
	d.node.RegisterMailServer(d)
	if err := d.node.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { close(d.quit); d.wg.Wait(); d.node.Stop() })

	b := newClient(t, clientOptions{peers: []*enode.Node{d.node.Enode()}})
	if _, err := b.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	if err := b.store.SetSyncedTo([]string{"status"}, time.Now().Add(-48*time.Hour).Unix()); err != nil {
		t.Fatal(err)
	}
	logs := &logRecorder{}
	restarted := time.Now()
	b.restart(clientOptions{peers: []*enode.Node{d.node.Enode()}, mailservers: []Mailserver{{Node: d.node.Enode()}}, logger: slog.New(logs),
		tune: func(tn *syncTuning) { tn.requestDeadline = 3 * time.Second }})
	// A catch-up cut short by the mailserver's connection dropping (the
	// restarted client redials the same server) is tried again when it
	// reconnects; any other failure is the halving failing.
	var failed string
	waitFor(t, "the catch-up", func() bool {
		for _, p := range b.events.progress("status") {
			switch {
			case p.Err != "" && !strings.Contains(p.Err, "disconnected") && !strings.Contains(p.Err, "not connected"):
				failed = p.Err
				return true
			case p.Done:
				return true
			}
		}
		return false
	})
	if failed != "" {
		t.Fatalf("catch-up failed: %s", failed)
	}
	if !logs.has("history request ran out of time; asking for halves", "", "") {
		t.Fatal("the range was not halved: the test tests nothing")
	}
	// The mark reached the catch-up's end (when it started, less slack).
	if c, _, _ := b.store.Chat("status"); c.SyncedTo < restarted.Add(-time.Minute).Unix() {
		t.Fatalf("mark %v, catch-up started %v", time.Unix(c.SyncedTo, 0), restarted)
	}
}

// bloomHas reports whether a request's bloom filter lets topic through.
func bloomHas(bloom []byte, topic codec.Topic) bool {
	want := codec.Bloom(topic)
	if len(bloom) != len(want) {
		return false
	}
	for i := range want {
		if bloom[i]&want[i] != want[i] {
			return false
		}
	}
	return true
}
