package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"hush/codec"
	"hush/store"
	"hush/whisper"
	"hush/whisper/mailformat"
)

// jobKind tells the syncer's jobs apart.
type jobKind int

const (
	jobCatchUp jobKind = iota // from the synced-to marks to now
	jobRecent                 // a newly joined chat's recent history
	jobOlder                  // /history: before the oldest stored message
)

func (k jobKind) String() string {
	switch k {
	case jobCatchUp:
		return "catch-up"
	case jobRecent:
		return "recent"
	default:
		return "older"
	}
}

// job is one history fetch: some chats and the spans still to ask for.
type job struct {
	kind  jobKind
	chats []string
	todo  []span
	// newestFirst splits spans newest first; otherwise oldest first.
	newestFirst bool
	// markEach moves the chats' synced-to marks to the end of each span
	// as it completes (oldest first, so everything before it is stored).
	// markEnd moves them to end once every span completed.
	markEach bool
	markEnd  bool
	end      int64
	// splits counts spans halved because a request ran out of time.
	splits int
}

// maxSplits bounds how often one job halves a span whose request ran out
// of time: an honest server with a dense range gets narrower requests
// that each finish (and move the marks; a week goes down to days), a
// slow hostile one costs at most maxSplits more requests.
const maxSplits = 8

var (
	errRequestDeadline = errors.New("mailserver took too long for one request")
	errPageDeadline    = errors.New("mailserver took too long for one page")
	errRepeatedCursor  = errors.New("mailserver sent a cursor it had sent before")
	errTooManyPages    = errors.New("mailserver sent too many pages for one request")
	// errNotStored: a message of the range could not be stored; the
	// range is fetched again later.
	errNotStored = errors.New("received history could not be stored")
)

// catchUp fetches, for every joined chat, everything since its synced-to
// mark (the last 24 h for a chat never synced), at most maxGap back.
func (s *syncer) catchUp() error {
	if !s.anyConnected() {
		// Its connection will ask again; waiting here would hold up a
		// /join for nothing.
		s.m.log.Info("history catch-up waits for a mailserver to connect")
		return whisper.ErrNotConnected
	}
	chats, err := s.m.cfg.Store.Chats()
	if err != nil {
		s.m.log.Error("history: list chats", "err", err)
		return fmt.Errorf("history: %w", err)
	}
	now := s.m.now().Unix()
	from := now - int64(historyOnJoin/time.Second)
	ids := make([]string, 0, len(chats))
	for i, c := range chats {
		ids = append(ids, c.ID)
		t := now - int64(historyOnJoin/time.Second)
		if c.SyncedTo > 0 {
			t = c.SyncedTo
		}
		if i == 0 || t < from {
			from = t
		}
	}
	from = min(from, now)
	limit := now - int64(maxGap/time.Second)
	away := from < limit
	if away {
		s.m.log.Info("history: away longer than the history limit; newest first", "since", time.Unix(from, 0).UTC(), "limit", maxGap)
		from = limit
	}
	j := &job{kind: jobCatchUp, chats: ids, end: now}
	if away {
		j.todo, j.newestFirst, j.markEnd = newestFirstPlan(span{from, now}), true, true
	} else {
		j.todo, j.markEach = []span{{from, now}}, true
	}
	return s.run(j)
}

// anyConnected reports whether one of the mailservers is connected.
func (s *syncer) anyConnected() bool {
	for _, ms := range s.m.cfg.Mailservers {
		if _, ok := s.m.cfg.Node.Connection(ms.Node.ID()); ok {
			return true
		}
	}
	return false
}

// newestFirstPlan puts the last recentFirst of s first, then the rest.
func newestFirstPlan(s span) []span {
	recent := int64(recentFirst / time.Second)
	if s.width() <= recent {
		return []span{s}
	}
	return []span{{s.to - recent, s.to}, {s.from, s.to - recent - 1}}
}

// requestRecent asks for the last d of some chats (a newly joined chat).
func (s *syncer) requestRecent(chats []string, d time.Duration) {
	if len(s.m.cfg.Mailservers) == 0 {
		return
	}
	now := s.m.now().Unix()
	s.enqueue(&job{kind: jobRecent, chats: chats, todo: []span{{now - int64(d/time.Second), now}}, markEach: true})
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
	now := m.now().Unix()
	to := now
	if oldest, ok, err := m.cfg.Store.Oldest(chatID); err != nil {
		return fmt.Errorf("history: %w", err)
	} else if ok {
		// A sender chooses its timestamp: one from 1970 or the far future
		// must neither wrap the range around nor reach past now.
		to = min(max(oldest.Timestamp/1000, 0)+int64(driftSlack/time.Second), now)
	}
	from := max(to-int64(d/time.Second), 0)
	m.sync.enqueue(&job{kind: jobOlder, chats: []string{chatID}, todo: []span{{from, to}}, newestFirst: true})
	return nil
}

func (s *syncer) enqueue(j *job) {
	select {
	case s.urgent <- j:
	default:
		s.m.notice("history: too many requests waiting; try again later", true)
	}
}

// runUrgent runs the /join and /history jobs waiting, between two pages of
// a catch-up.
func (s *syncer) runUrgent() {
	for {
		select {
		case j := <-s.urgent:
			s.run(j)
		default:
			return
		}
	}
}

// run performs a job: against the first mailserver connected, then, for
// what is left after a failure, the next one (PROTOCOL.md §4: any server
// that holds the envelopes answers alike). What is left is what was not
// stored yet: fetch narrows the job's span page by page, so the next
// server resumes where the last one stopped. Progress and the outcome go to the status
// line; a range that could not be stored is also a red notice.
func (s *syncer) run(j *job) error {
	progress := SyncProgress{ChatIDs: j.chats}
	bloom := codec.Bloom(s.topics(j.chats)...)
	var lastErr error
	for _, ms := range s.byConnection() {
		err := s.runOn(ms, j, bloom, &progress)
		if err == nil {
			progress.Done = true
			s.m.emit(progress)
			s.m.log.Info("history done", "job", j.kind, "pages", progress.Pages, "messages", progress.Messages)
			return nil
		}
		lastErr = err
		if s.ctx.Err() != nil {
			return err
		}
		s.m.log.Warn("history request failed", "job", j.kind, "mailserver", ms.Node.ID().TerminalString(), "err", err)
		if errors.Is(err, errNotStored) {
			break // another server's copy would not store either
		}
	}
	progress.Err = lastErr.Error()
	s.m.emit(progress)
	if errors.Is(lastErr, errNotStored) {
		s.m.notice(lastErr.Error()+"; it will be fetched again", true)
	}
	return lastErr
}

// byConnection is the configured mailservers, those connected now first,
// each group in the configured order: a dead first server costs a
// failover nothing but its one failed request.
func (s *syncer) byConnection() []Mailserver {
	var up, down []Mailserver
	for _, ms := range s.m.cfg.Mailservers {
		if _, ok := s.m.cfg.Node.Connection(ms.Node.ID()); ok {
			up = append(up, ms)
		} else {
			down = append(down, ms)
		}
	}
	return append(up, down...)
}

// runOn asks one mailserver for what is left of j, span by span, each
// narrow enough for the server. A range refusal narrows what we ask of
// that server from then on.
func (s *syncer) runOn(ms Mailserver, j *job, bloom []byte, progress *SyncProgress) error {
	id := ms.Node.ID()
	for len(j.todo) > 0 {
		maxRange := s.maxRange[id]
		if maxRange == 0 {
			maxRange = s.tune.maxRange
		}
		if width := spanWidth(maxRange); j.todo[0].width() > width {
			j.todo = append(split(j.todo[0], width, j.newestFirst), j.todo[1:]...)
		}
		err := s.fetch(ms, j, j.todo[0], bloom, progress)
		sp := j.todo[0] // narrowed by the pages stored
		if stated, ok := rangeRefused(err); ok {
			next := narrower(maxRange, stated)
			if next < minRange {
				return fmt.Errorf("%w: %w", errNoRange, err)
			}
			s.m.log.Info("mailserver refused the range; asking narrower", "mailserver", id.TerminalString(), "was", maxRange, "now", next)
			s.maxRange[id] = next
			continue
		}
		if errors.Is(err, errRequestDeadline) && j.splits < maxSplits && sp.width() > int64(minRange/time.Second) {
			j.splits++
			s.m.log.Info("history request ran out of time; asking for halves", "mailserver", id.TerminalString(),
				"from", time.Unix(sp.from, 0).UTC(), "to", time.Unix(sp.to, 0).UTC())
			j.todo = append(split(sp, sp.width()/2, j.newestFirst), j.todo[1:]...)
			continue
		}
		if err != nil {
			return err
		}
		j.todo = j.todo[1:]
		if j.markEach {
			s.advanceMarks(j.chats, sp.to)
		}
	}
	if j.markEnd {
		s.advanceMarks(j.chats, j.end)
	}
	return nil
}

// fetch asks for one span and follows its cursor to the end. After every
// page it asks the receive loop for a barrier and collects the answer after
// the next page (so storing one page overlaps fetching the next): the span
// counts as done only when the last barrier says all of it is stored. A
// request is bounded in pages and in time (time spent on /join's requests
// between its pages not counted), and stops when the server repeats a
// cursor.
func (s *syncer) fetch(ms Mailserver, j *job, sp span, bloom []byte, progress *SyncProgress) error {
	lower, upper := sp.bounds()
	req := whisper.HistoryRequest{
		Request: mailformat.Request{Lower: lower, Upper: upper, Bloom: bloom, Limit: s.tune.pageLimit},
		Format:  ms.Format,
		SymKey:  s.m.historyKey,
	}
	s.m.log.Info("history request", "job", j.kind, "mailserver", ms.Node.ID().TerminalString(), "format", ms.Format,
		"from", time.Unix(int64(lower), 0).UTC(), "to", time.Unix(int64(upper), 0).UTC(),
		"lower", lower, "upper", upper, "chats", strings.Join(j.chats, ","))
	var pending chan tally
	stored := func() error {
		if pending == nil {
			return nil
		}
		res := s.awaitBarrier(pending)
		pending = nil
		progress.Messages += res.added
		s.m.emit(*progress)
		if res.err != nil {
			return fmt.Errorf("history: %w: %w", errNotStored, res.err)
		}
		return nil
	}
	// Whatever came is stored before the request is judged.
	end := func(err error) error {
		pending = s.askBarrier()
		if serr := stored(); serr != nil {
			return serr
		}
		return err
	}
	var spent time.Duration
	cursors := make(map[string]bool)
	for page := 1; ; page++ {
		if page > s.tune.maxPages {
			return end(fmt.Errorf("history: %w (%d)", errTooManyPages, s.tune.maxPages))
		}
		if j.kind == jobCatchUp {
			s.runUrgent()
		}
		left := s.tune.requestDeadline - spent
		if left <= 0 {
			return end(fmt.Errorf("history: %w (%s)", errRequestDeadline, s.tune.requestDeadline))
		}
		started := time.Now()
		pg, err := s.page(ms, req, left)
		spent += time.Since(started)
		progress.Pages++
		if serr := stored(); serr != nil {
			return serr
		}
		// The barrier just answered covers the pages up to req.Cursor.
		s.storedUpTo(j, req.Cursor)
		if err != nil || len(pg.Cursor) == 0 {
			return end(err)
		}
		if cursors[string(pg.Cursor)] {
			s.m.log.Warn("mailserver repeats a cursor; request stopped", "mailserver", ms.Node.ID().TerminalString(),
				"cursor", fmt.Sprintf("%x", pg.Cursor), "page", page)
			return end(fmt.Errorf("history: %w", errRepeatedCursor))
		}
		cursors[string(pg.Cursor)] = true
		req.Cursor = pg.Cursor
		pending = s.askBarrier()
	}
}

// storedUpTo notes that the pages of j's first span up to cursor are
// stored: a server answers in key order, so everything of the span sent
// before the cursor's second is. The span then starts at that second, so
// that a failure leaves only the rest to ask for, of this server or the
// next; a job that marks as it goes moves the marks there too (a mark
// moves only over stored messages). A cursor outside the span changes
// nothing.
func (s *syncer) storedUpTo(j *job, cursor []byte) {
	sent, ok := mailformat.CursorSent(cursor)
	if !ok || len(j.todo) == 0 {
		return
	}
	sp := &j.todo[0]
	if t := int64(sent); t > sp.from && t <= sp.to {
		sp.from = t
		if j.markEach {
			s.advanceMarks(j.chats, t-1)
		}
	}
}

// page sends one page request within left of the request's time. It waits
// a bounded time for the mailserver to be connected (at start the request
// is queued before the dial completes), asks a silent page again, and
// backs off when the server says we ask too fast.
func (s *syncer) page(ms Mailserver, req whisper.HistoryRequest, left time.Duration) (whisper.HistoryPage, error) {
	limit, cause := left, errRequestDeadline
	if ms.Format != mailformat.FormatGeth && s.tune.pageDeadline < left {
		// geth's server sends a whole range as one page.
		limit, cause = s.tune.pageDeadline, errPageDeadline
	}
	ctx, cancel := context.WithTimeoutCause(s.ctx, limit, cause)
	defer cancel()
	connectBy := time.Now().Add(s.tune.connectWait)
	for timeouts, limited := 0, 0; ; {
		page, err := s.m.cfg.Node.RequestHistory(ctx, ms.Node.ID(), req)
		wait := connectPoll
		switch {
		case err == nil:
			return page, nil
		case ctx.Err() != nil && s.ctx.Err() == nil:
			return page, fmt.Errorf("history: %w (%s)", context.Cause(ctx), limit)
		case errors.Is(err, whisper.ErrNotConnected) && time.Now().Before(connectBy):
		case errors.Is(err, whisper.ErrRequestTimeout) && timeouts+1 < pageRetries:
			timeouts++
			s.m.log.Info("history page timed out, asking again", "attempt", timeouts+1)
			continue
		case strings.Contains(err.Error(), "rate limited") && limited < rateLimitRetries:
			limited++
			wait = rateLimitWait
			s.m.log.Info("mailserver rate-limits us, waiting", "wait", wait)
		default:
			return page, err
		}
		select {
		case <-ctx.Done():
			if s.ctx.Err() != nil {
				return page, s.ctx.Err()
			}
			return page, fmt.Errorf("history: %w (%s)", context.Cause(ctx), limit)
		case <-time.After(wait):
		}
	}
}

// advanceMarks records that the chats' history is complete up to t. A mark
// never moves back; a failure leaves it where it was, which only means
// fetching again.
func (s *syncer) advanceMarks(chats []string, t int64) {
	var ids []string
	for _, id := range chats {
		c, ok, err := s.m.cfg.Store.Chat(id)
		if err != nil {
			s.m.log.Error("history: read synced mark", "chat", id, "err", err)
			continue
		}
		if ok && c.SyncedTo < t {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	if err := s.m.cfg.Store.SetSyncedTo(ids, t); err != nil {
		s.m.log.Error("history: store synced mark", "err", err)
		return
	}
	s.m.log.Debug("history: synced mark moved", "chats", strings.Join(ids, ","), "to", time.Unix(t, 0).UTC())
}

// topics are the whisper topics of some chats; every one-to-one topic we
// listen on (PROTOCOL.md §7.11) is always included so that messages from
// new contacts, on negotiated topics and bundle advertisements are found
// too.
func (s *syncer) topics(chats []string) []codec.Topic {
	out := s.m.directTopics()
	seen := make(map[codec.Topic]bool, len(out))
	for _, t := range out {
		seen[t] = true
	}
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

// barrierReq asks the receive loop to store everything it has been handed
// so far and to answer with a tally since the previous barrier.
type barrierReq struct{ reply chan tally }

// tally is what the receive loop stored between two barriers.
type tally struct {
	added int   // history messages newly stored
	err   error // the first store failure; nil when every write succeeded
}

func (t *tally) add(o tally) {
	t.added += o.added
	if t.err == nil {
		t.err = o.err
	}
}

// askBarrier asks the receive loop to store every message the node handed
// over before now; awaitBarrier reads the answer: whether every store write
// since the previous barrier succeeded. The node puts all of a page's
// envelopes on its channel before RequestHistory returns the page.
func (s *syncer) askBarrier() chan tally {
	reply := make(chan tally, 1)
	select {
	case s.barriers <- barrierReq{reply: reply}:
	case <-s.ctx.Done():
		reply <- tally{err: s.ctx.Err()}
	case <-s.m.quit:
		reply <- tally{err: errors.New("session stopped")}
	}
	return reply
}

func (s *syncer) awaitBarrier(reply chan tally) tally {
	select {
	case t := <-reply:
		return t
	case <-s.ctx.Done():
		return tally{err: s.ctx.Err()}
	}
}
