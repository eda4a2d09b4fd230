package session

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/codec"
	"hush/store"
	"hush/whisper"
	"hush/whisper/mailserver"
)

const (
	// maxGap caps how far back a catch-up reaches; mailservers refuse
	// longer ranges and keep little more.
	maxGap = 7 * 24 * time.Hour
	// driftSlack widens every range for TTL and clock drift between us and
	// the senders.
	driftSlack = 20 * time.Second
	// upperMargin pushes the upper bound past now: envelopes sent while the
	// request travels are still included.
	upperMargin = 60 * time.Second
	// pageLimit is how many envelopes we ask for per page.
	pageLimit = 1000
	// maxPages bounds one request's page loop.
	maxPages = 10000
	// pageRetries is how often a silent page is asked again.
	pageRetries = 3
	// connectWait is how long a request waits for a mailserver to connect
	// (at start, the request is queued before the dial completes).
	connectWait = 30 * time.Second
	// connectPoll is how often the wait looks again.
	connectPoll = 250 * time.Millisecond
	// rateLimitWait and rateLimitRetries: how a rate-limited page is asked
	// again (a peer regains one request per second on hush's server).
	rateLimitWait    = 1100 * time.Millisecond
	rateLimitRetries = 10
)

// Mailserver is a history server we may ask.
type Mailserver struct {
	Node   *enode.Node
	Format mailserver.Format
}

// ParseMailserver reads an enode URL; "?format=geth" selects geth's
// request format instead of status-go's.
func ParseMailserver(raw string) (Mailserver, error) {
	raw = strings.TrimSpace(raw)
	// "enode://…?discport=0" as hush serve prints it, with "?format=geth"
	// pasted after it: read the second "?" as "&".
	if i := strings.Index(raw, "?"); i >= 0 {
		raw = raw[:i+1] + strings.ReplaceAll(raw[i+1:], "?", "&")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Mailserver{}, fmt.Errorf("mailserver %q: %w", raw, err)
	}
	ms := Mailserver{Format: mailserver.FormatStatus}
	q := u.Query()
	switch f := q.Get("format"); f {
	case "", "status":
	case "geth":
		ms.Format = mailserver.FormatGeth
	default:
		return Mailserver{}, fmt.Errorf("mailserver %q: format %q: want status or geth", raw, f)
	}
	q.Del("format")
	u.RawQuery = q.Encode()
	if ms.Node, err = enode.Parse(enode.ValidSchemes, u.String()); err != nil {
		return Mailserver{}, fmt.Errorf("mailserver %q: %w", raw, err)
	}
	return ms, nil
}

// syncJob is one range of history for a set of chats.
type syncJob struct {
	chats    []string
	from, to time.Time
	// markSynced records `to` as the chats' synced-up-to time when the job
	// completes: true for ranges that end now (start-up gap, a new chat),
	// false for older history asked with /history.
	markSynced bool
	// startup marks the start-up catch-up, which is retried until it works.
	startup bool
}

// syncer asks mailservers for history, one request at a time, as SR did.
type syncer struct {
	m      *Manager
	jobs   chan syncJob
	cancel context.CancelFunc
	ctx    context.Context
	wg     sync.WaitGroup

	mu         sync.Mutex
	caughtUp   bool // the start-up catch-up has completed
	catchingUp bool // a start-up catch-up job is queued or running
}

func newSyncer(m *Manager) *syncer {
	ctx, cancel := context.WithCancel(context.Background())
	return &syncer{m: m, jobs: make(chan syncJob, 64), ctx: ctx, cancel: cancel}
}

func (s *syncer) start() {
	if len(s.m.cfg.Mailservers) == 0 {
		return
	}
	for _, ms := range s.m.cfg.Mailservers {
		s.m.cfg.Node.AddPeer(ms.Node)
	}
	s.wg.Add(1)
	go s.loop()
	s.catchUp()
}

func (s *syncer) stop() {
	s.cancel()
	s.wg.Wait()
}

// peersChanged retries the start-up catch-up once a mailserver may have
// connected.
func (s *syncer) peersChanged() { s.catchUp() }

// catchUp queues the start-up request: for every joined chat, the gap since
// it was last synced (at most maxGap; 24 h for a chat never synced).
func (s *syncer) catchUp() {
	if len(s.m.cfg.Mailservers) == 0 {
		return
	}
	s.mu.Lock()
	if s.caughtUp || s.catchingUp {
		s.mu.Unlock()
		return
	}
	s.catchingUp = true
	s.mu.Unlock()

	chats, err := s.m.cfg.Store.Chats()
	if err != nil {
		s.m.log.Error("history: list chats", "err", err)
		s.mu.Lock()
		s.catchingUp = false
		s.mu.Unlock()
		return
	}
	// One request covers every chat: from the oldest synced-to mark, or
	// the last 24 h for a chat never synced (and with no chats, for the
	// one-to-one topic alone).
	now := s.m.now()
	var from time.Time
	ids := make([]string, 0, len(chats))
	for _, c := range chats {
		ids = append(ids, c.ID)
		t := now.Add(-historyOnJoin)
		if c.SyncedTo > 0 {
			t = time.Unix(c.SyncedTo, 0)
		}
		if from.IsZero() || t.Before(from) {
			from = t
		}
	}
	if from.IsZero() {
		from = now.Add(-historyOnJoin)
	}
	from = later(from, now.Add(-maxGap))
	s.enqueue(syncJob{chats: ids, from: from, to: now, markSynced: true, startup: true})
}

// requestRecent asks for the last d of some chats (a newly joined chat).
func (s *syncer) requestRecent(chats []string, d time.Duration) {
	if len(s.m.cfg.Mailservers) == 0 {
		return
	}
	now := s.m.now()
	s.enqueue(syncJob{chats: chats, from: now.Add(-d), to: now, markSynced: true})
}

// RequestHistory asks the mailserver for d more of a chat's history: the d
// before its oldest stored message (or before now in an empty chat).
func (m *Manager) RequestHistory(chatID string, d time.Duration) error {
	if len(m.cfg.Mailservers) == 0 {
		return errors.New("no mailserver configured: start hush with --mailserver enode://…")
	}
	if d <= 0 {
		d = historyOnJoin
	}
	if d > maxGap*5 {
		return fmt.Errorf("history: at most %d days at a time", int(maxGap*5/(24*time.Hour)))
	}
	c, ok, err := m.cfg.Store.Chat(chatID)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if !ok || !c.Joined {
		return errors.New("history: join a chat first")
	}
	to := m.now()
	if oldest, ok, err := m.cfg.Store.Oldest(chatID); err != nil {
		return fmt.Errorf("history: %w", err)
	} else if ok && oldest.Timestamp > 0 {
		to = time.UnixMilli(oldest.Timestamp).Add(driftSlack)
	}
	from := to.Add(-d)
	// Mailservers refuse ranges over a week: split long asks.
	for from.Before(to) {
		start := later(from, to.Add(-maxGap))
		m.sync.enqueue(syncJob{chats: []string{chatID}, from: start, to: to})
		to = start
	}
	return nil
}

func (s *syncer) enqueue(j syncJob) {
	select {
	case s.jobs <- j:
	default:
		s.m.notice("history: too many requests waiting; try again later", true)
	}
}

func (s *syncer) loop() {
	defer s.wg.Done()
	defer s.m.catchPanic()
	for {
		select {
		case <-s.ctx.Done():
			return
		case j := <-s.jobs:
			err := s.run(j)
			s.mu.Lock()
			if j.startup {
				s.catchingUp = false
				s.caughtUp = err == nil
			}
			s.mu.Unlock()
		}
	}
}

// run performs one job against the first mailserver that is connected,
// following the cursor page by page.
func (s *syncer) run(j syncJob) error {
	topics := s.topics(j.chats)
	lower := uint32(j.from.Add(-driftSlack).Unix())
	upper := uint32(j.to.Add(upperMargin).Unix())
	progress := SyncProgress{ChatIDs: j.chats}
	var lastErr error
	for _, ms := range s.m.cfg.Mailservers {
		req := whisper.HistoryRequest{
			Request: mailserver.Request{Lower: lower, Upper: upper, Bloom: codec.Bloom(topics...), Limit: pageLimit},
			Format:  ms.Format,
			SymKey:  s.m.historyKey,
		}
		s.m.log.Info("history request", "mailserver", ms.Node.ID().TerminalString(), "format", ms.Format,
			"from", time.Unix(int64(lower), 0).UTC(), "to", time.Unix(int64(upper), 0).UTC(),
			"lower", lower, "upper", upper, "chats", strings.Join(j.chats, ","))
		err := s.pages(ms, req, &progress)
		if err == nil {
			if j.markSynced {
				if err := s.m.cfg.Store.SetSyncedTo(j.chats, j.to.Unix()); err != nil {
					s.m.log.Error("history: store synced mark", "err", err)
				}
			}
			progress.Done = true
			s.m.emit(progress)
			s.m.log.Info("history done", "pages", progress.Pages, "envelopes", progress.Messages)
			return nil
		}
		if s.ctx.Err() != nil {
			return err
		}
		lastErr = err
		s.m.log.Warn("history request failed", "mailserver", ms.Node.ID().TerminalString(), "err", err)
	}
	progress.Err = lastErr.Error()
	s.m.emit(progress)
	return lastErr
}

// pages follows one request's cursor to the end.
func (s *syncer) pages(ms Mailserver, req whisper.HistoryRequest, progress *SyncProgress) error {
	for range maxPages {
		var (
			page whisper.HistoryPage
			err  error
		)
		for attempt := range pageRetries {
			page, err = s.request(ms, req)
			if err == nil || !errors.Is(err, whisper.ErrRequestTimeout) {
				break
			}
			s.m.log.Info("history page timed out, asking again", "attempt", attempt+1)
		}
		if err != nil {
			return err
		}
		progress.Pages++
		progress.Messages += page.Envelopes
		s.m.emit(*progress)
		if len(page.Cursor) == 0 {
			return nil
		}
		req.Cursor = page.Cursor
	}
	return fmt.Errorf("history: gave up after %d pages", maxPages)
}

// request sends one page request. It waits a bounded time for the
// mailserver to be connected (at start the request is queued before the
// dial completes), and backs off when the server says we ask too fast.
func (s *syncer) request(ms Mailserver, req whisper.HistoryRequest) (whisper.HistoryPage, error) {
	deadline := time.Now().Add(connectWait)
	for limited := 0; ; {
		page, err := s.m.cfg.Node.RequestHistory(s.ctx, ms.Node.ID(), req)
		wait := connectPoll
		switch {
		case errors.Is(err, whisper.ErrNotConnected) && time.Now().Before(deadline):
		case err != nil && strings.Contains(err.Error(), "rate limited") && limited < rateLimitRetries:
			limited++
			wait = rateLimitWait
			s.m.log.Info("mailserver rate-limits us, waiting", "wait", wait)
		default:
			return page, err
		}
		select {
		case <-s.ctx.Done():
			return page, s.ctx.Err()
		case <-time.After(wait):
		}
	}
}

// topics are the whisper topics of some chats; the one-to-one topic is
// always included so that messages from new contacts are found too.
func (s *syncer) topics(chats []string) []codec.Topic {
	seen := map[codec.Topic]bool{codec.TopicFor(codec.DiscoveryTopicName): true}
	out := []codec.Topic{codec.TopicFor(codec.DiscoveryTopicName)}
	for _, id := range chats {
		c, ok, err := s.m.cfg.Store.Chat(id)
		if err != nil || !ok || c.Kind != store.ChatPublic {
			continue
		}
		if t := codec.TopicFor(id); !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
