package mailserver

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"sync"
	"time"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// upperMargin is how far past now a request may reach: an Upper of 0 means
// now+upperMargin, and larger Uppers are cut to it (nothing archived can be
// newer), so that "no upper bound" requests such as wnode's 0xFFFFFFFF
// still fit MaxRange.
const upperMargin = 60

// minPageLimit keeps paging moving: the next page starts at the previous
// page's last envelope, so a page of one would repeat that envelope forever.
const minPageLimit = 2

// Reading the archive in chunks keeps the store's read cursor closed while
// envelopes go out over the network to a possibly slow peer. A chunk whose
// envelopes pass readChunkBytes halves the next one, down to minChunkRows.
const (
	readChunkRows  = 500
	minChunkRows   = 8
	readChunkBytes = 4 << 20
)

// The kinds of refusal. The texts of the ERROR= replies start with them
// (clients match "rate limited" and "time range too long"), and the log
// summarises refusals by them.
var (
	errDecrypt      = errors.New("decryption failed")
	errMalformed    = errors.New("malformed request message")
	errNotSigned    = errors.New("request not signed")
	errPayload      = errors.New("invalid request payload")
	errRateLimited  = errors.New("rate limited")
	errTimeRange    = errors.New("invalid time range")
	errRangeTooLong = errors.New(mailformat.RangeTooLongText)
	errBusy         = errors.New("previous request still being served")
)

var refusalKinds = []error{errPoW, errDecrypt, errMalformed, errNotSigned, errPayload, errRateLimited,
	errTimeRange, errRangeTooLong, errBusy}

// refusalKind is the short stable name of err's kind for the log summary.
func refusalKind(err error) string {
	for _, kind := range refusalKinds {
		if errors.Is(err, kind) {
			return kind.Error()
		}
	}
	return "other"
}

// kindError is a refusal of a kind whose text is worded in full elsewhere.
type kindError struct {
	kind error
	text string
}

func (e kindError) Error() string { return e.text }
func (e kindError) Unwrap() error { return e.kind }

// DeliverMail takes a history request from peer (whisperv6.MailServer). It
// returns at once; the request is served in a goroutine, one per peer at a
// time: a request arriving while the peer's previous one is still being
// served is dropped.
func (s *Server) DeliverMail(peer *whisperv6.Peer, req *whisperv6.Envelope) {
	if peer == nil || req == nil {
		return
	}
	s.deliver(peer.ID(), req)
}

func (s *Server) deliver(peerID []byte, req *whisperv6.Envelope) {
	id := string(peerID)
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	if s.inFlight[id] {
		s.mu.Unlock()
		s.counters.requests.Add(1)
		s.counters.dropped.Add(1)
		// Hashing a dropped request would cost as much as reading it again.
		s.refusals.note(s.cfg.Now(), peerID, lazyHash{req}, errBusy.Error(), fmt.Errorf("dropped: %w", errBusy))
		return
	}
	s.inFlight[id] = true
	s.serving.Add(1)
	s.mu.Unlock()

	go func() {
		defer s.serving.Done()
		// The peer's slot is freed before the reply goes out: a client that
		// follows the cursor asks for the next page the moment it has the
		// completion, and that request must not find the slot still taken.
		release := sync.OnceFunc(func() {
			s.mu.Lock()
			delete(s.inFlight, id)
			s.mu.Unlock()
		})
		defer release()
		s.serveThen(peerID, req, release)
	}()
}

// serve answers one request synchronously: envelopes with code 127, then a
// code-125 completion, or an ERROR= completion when the request is refused.
func (s *Server) serve(peerID []byte, req *whisperv6.Envelope) {
	s.serveThen(peerID, req, func() {})
}

// serveThen is serve calling beforeReply just before the completion or
// refusal is sent.
func (s *Server) serveThen(peerID []byte, req *whisperv6.Envelope, beforeReply func()) {
	s.counters.requests.Add(1)
	requestID := req.Hash()
	log := s.log.With("peer", shortID(peerID), "request", requestID.Hex())
	defer func() {
		if p := recover(); p != nil {
			log.Error("serving request panicked", "panic", p, "stack", string(debug.Stack()))
		}
	}()

	now := s.cfg.Now()
	r, format, err := s.openRequest(req)
	if err != nil {
		beforeReply()
		s.refuse(now, peerID, requestID, err)
		return
	}
	// The next page of a request we already admitted is part of it, not a
	// new request: only fresh requests spend rate-limit tokens. (Opening
	// first costs one AES-GCM decryption per refused request; the PoW check
	// in openRequest comes before it.)
	if !s.continues(peerID, r) && !s.admit(peerID, now) {
		beforeReply()
		s.refuse(now, peerID, requestID, errRateLimited)
		return
	}
	lower, upper, err := s.timeRange(r, now)
	if err != nil {
		beforeReply()
		s.refuse(now, peerID, requestID, err)
		return
	}
	limit := s.pageLimit(r.Limit)

	page, err := s.sendPage(r, lower, upper, limit, func(raw []byte) error {
		return s.sender.SendArchived(peerID, raw)
	})
	s.counters.sent.Add(uint64(page.sent))
	if err != nil {
		log.Warn("request aborted", "err", err, "sent", page.sent)
		return
	}
	// Geth clients ignore code 125, so it costs them nothing; hush and status
	// clients need it, whichever payload format they asked with.
	c := mailformat.Completion{RequestID: requestID, LastEnvelope: page.last, Cursor: page.cursor}
	s.issue(peerID, r, page.cursor)
	beforeReply()
	if err := s.sender.SendCompletion(peerID, mailformat.EncodeCompletion(c)); err != nil {
		log.Warn("send completion", "err", err)
		return
	}
	s.counters.served.Add(1)
	log.Info("request served", "format", format, "lower", lower, "upper", upper, "limit", limit,
		"sent", page.sent, "more", page.cursor != nil)
}

// issued is the cursor last handed to a peer, with the request it pages.
type issued struct {
	cursor       []byte
	lower, upper uint32
	bloom        []byte
}

// issue remembers the cursor handed to a peer for request r, so that its
// request for the next page is known as a continuation. nil forgets it.
func (s *Server) issue(peerID []byte, r mailformat.Request, cursor []byte) {
	id := string(peerID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cursor == nil {
		delete(s.issued, id)
		return
	}
	if len(s.issued) >= maxIssued {
		clear(s.issued) // peers come and go; a forgotten cursor only costs a token
	}
	s.issued[id] = issued{cursor: bytes.Clone(cursor), lower: r.Lower, upper: r.Upper, bloom: bytes.Clone(r.Bloom)}
}

// continues reports whether r asks for the next page of the peer's previous
// request: the same range and topics, with the cursor last issued to the
// peer; the cursor is used up. Each issued cursor lies past the one before,
// so a chain of continuations walks its range once and ends; a replayed
// cursor, or one moved to another range, is a fresh request.
func (s *Server) continues(peerID []byte, r mailformat.Request) bool {
	if len(r.Cursor) == 0 {
		return false
	}
	id := string(peerID)
	s.mu.Lock()
	defer s.mu.Unlock()
	last, ok := s.issued[id]
	if !ok || !bytes.Equal(last.cursor, r.Cursor) {
		return false
	}
	delete(s.issued, id)
	return last.lower == r.Lower && last.upper == r.Upper && bytes.Equal(last.bloom, r.Bloom)
}

// maxIssued bounds the remembered cursors.
const maxIssued = 4096

// bucket is one peer's rate-limit state: a token bucket, so that a client
// can follow a cursor through a few pages at once but not hammer the server.
type bucket struct {
	tokens float64
	at     time.Time
}

// admit applies the per-peer rate limit, counting every request let through.
func (s *Server) admit(peerID []byte, now time.Time) bool {
	if s.cfg.RateLimit < 0 {
		return true
	}
	id := string(peerID)
	burst := float64(s.cfg.RateBurst)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[id]
	if !ok {
		b = bucket{tokens: burst, at: now}
	}
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = min(burst, b.tokens+float64(elapsed)/float64(s.cfg.RateLimit))
	}
	b.at = now
	if b.tokens < 1 {
		s.buckets[id] = b
		return false
	}
	b.tokens--
	s.buckets[id] = b
	// Peers come and go; forget those whose bucket has refilled.
	if len(s.buckets) > 1024 {
		for other, ob := range s.buckets {
			if now.Sub(ob.at) >= time.Duration(burst)*s.cfg.RateLimit {
				delete(s.buckets, other)
			}
		}
	}
	return true
}

// openRequest checks the request envelope's PoW, decrypts it with the
// server key, requires a signature and decodes the payload.
func (s *Server) openRequest(req *whisperv6.Envelope) (mailformat.Request, mailformat.Format, error) {
	if s.cfg.MinPoW > 0 {
		if err := checkPoW(req, s.cfg.MinPoW); err != nil {
			return mailformat.Request{}, 0, err
		}
	}
	msg, err := req.OpenSymmetric(s.cfg.SymKey)
	if err != nil {
		return mailformat.Request{}, 0, fmt.Errorf("%w: %w", errDecrypt, err)
	}
	if !msg.ValidateAndParse() {
		return mailformat.Request{}, 0, errMalformed
	}
	if msg.Src == nil {
		return mailformat.Request{}, 0, errNotSigned
	}
	r, format, err := mailformat.DecodeRequest(msg.Payload)
	if err != nil {
		return mailformat.Request{}, 0, fmt.Errorf("%w: %w", errPayload, err)
	}
	return r, format, nil
}

// timeRange resolves the inclusive send-time range of r at now.
func (s *Server) timeRange(r mailformat.Request, now time.Time) (lower, upper uint32, err error) {
	ceiling := uint64(max(now.Unix(), 0)) + upperMargin
	if ceiling > math.MaxUint32 {
		ceiling = math.MaxUint32
	}
	up := uint64(r.Upper)
	if up == 0 || up > ceiling {
		up = ceiling
	}
	lo := uint64(r.Lower)
	if lo > up {
		return 0, 0, fmt.Errorf("%w: lower %d above upper %d", errTimeRange, lo, up)
	}
	// Both are below 2^32, so the span and its Duration cannot overflow.
	span := up - lo
	if s.cfg.MaxRange > 0 && time.Duration(span)*time.Second > s.cfg.MaxRange+RangeTolerance {
		limit := uint64(s.cfg.MaxRange / time.Second)
		return 0, 0, kindError{kind: errRangeTooLong, text: mailformat.RangeTooLongReason(span, limit)}
	}
	return r.Lower, uint32(up), nil
}

func (s *Server) pageLimit(asked uint32) int {
	limit := s.cfg.DefaultLimit
	if asked != 0 && asked < limit {
		limit = asked
	}
	return max(int(limit), minPageLimit)
}

type page struct {
	sent   int
	last   [32]byte // hash of the last envelope sent
	cursor []byte   // set when more envelopes match after the page
}

// sendPage hands the matching envelopes to send in key order, up to limit,
// as they are stored (no decode and re-encode), reading the archive in
// chunks with a row limit, one chunk ahead. The last chunk asks for one row
// past the limit, which answers "is there more?".
func (s *Server) sendPage(r mailformat.Request, lower, upper uint32, limit int, send func(raw []byte) error) (page, error) {
	var p page
	from := Key(lower, [32]byte{}, [4]byte{})
	if r.Cursor != nil && bytes.Compare(r.Cursor, from) > 0 {
		from = append([]byte(nil), r.Cursor...)
	}
	to := scanEnd(upper)
	if bytes.Compare(from, to) >= 0 {
		return p, nil // a cursor past the range: nothing left to send
	}
	topics, err := s.topicsFor(r.Bloom)
	if err != nil {
		return p, err
	}
	if topics != nil && len(topics) == 0 {
		return p, nil // no stored topic matches the bloom
	}
	// A damaged archive must not cost a log line per envelope per request.
	var bad damage
	defer bad.report(s)
	// The next chunk is read while this one goes out, so the archive's
	// latency (a round trip, for PostgreSQL) hides behind the sending.
	read := func(from []byte, want int) <-chan chunkRead {
		done := make(chan chunkRead, 1)
		go func() {
			keys, raws, err := s.archive.ArchiveRead(from, to, topics, want)
			done <- chunkRead{keys: keys, raws: raws, want: want, err: err}
		}()
		return done
	}
	chunk := readChunkRows
	pending := read(from, min(limit+1, chunk))
	var lastKey []byte
	for {
		if s.isStopping() {
			return p, errors.New("server stopping")
		}
		c := <-pending
		if c.err != nil {
			return p, fmt.Errorf("read archive: %w", c.err)
		}
		exhausted := len(c.keys) < c.want
		pending = nil
		if !exhausted {
			// Large envelopes make smaller chunks, so a page of them is
			// never all in memory at once.
			if c.size() > readChunkBytes {
				chunk = max(chunk/2, minChunkRows)
			}
			// Counting every row of this chunk as sent, what the page
			// still needs, with the one row past the limit.
			if more := limit - p.sent - len(c.keys) + 1; more > 0 {
				pending = read(after(c.keys[len(c.keys)-1]), min(more, chunk))
			}
		}
		for i, key := range c.keys {
			if p.sent == limit {
				p.cursor = lastKey[:mailformat.CursorLength]
				return p, nil
			}
			raw := c.raws[i]
			if len(key) != KeyLength {
				bad.note(key, fmt.Errorf("key of %d bytes", len(key)))
				continue
			}
			// The archive selected by topic already; the bloom is checked
			// again because topics may have been added since topicsFor.
			if !BloomMatch(r.Bloom, whisperv6.TopicToBloom(whisperv6.BytesToTopic(key[mailformat.CursorLength:]))) {
				continue
			}
			if err := checkEnvelopeShape(raw); err != nil {
				bad.note(key, err)
				continue
			}
			if err := send(raw); err != nil {
				return p, fmt.Errorf("send envelope: %w", err)
			}
			p.sent++
			lastKey = key
			copy(p.last[:], key[4:mailformat.CursorLength])
		}
		if exhausted {
			return p, nil
		}
		if pending == nil {
			// Rows were skipped, so the page needs more than was read ahead.
			pending = read(after(c.keys[len(c.keys)-1]), min(limit-p.sent+1, chunk))
		}
	}
}

// chunkRead is one ArchiveRead of a page.
type chunkRead struct {
	keys, raws [][]byte
	want       int // the row limit asked for
	err        error
}

func (c chunkRead) size() int {
	n := 0
	for _, raw := range c.raws {
		n += len(raw)
	}
	return n
}

// after is the smallest key above key.
func after(key []byte) []byte {
	return append(bytes.Clone(key), 0)
}

// checkEnvelopeShape is the check a stored envelope passes before it goes out
// as stored: one RLP list of whisperv6's five envelope fields. A row that is
// not would make a geth peer drop us. The fields themselves are not decoded.
func checkEnvelopeShape(raw []byte) error {
	kind, content, rest, err := rlp.Split(raw)
	if err != nil {
		return err
	}
	if kind != rlp.List || len(rest) != 0 {
		return errors.New("not one RLP list")
	}
	if n, err := rlp.CountValues(content); err != nil || n != 5 {
		return fmt.Errorf("envelope of %d fields (%v)", n, err)
	}
	return nil
}

// topicsFor returns the stored topics that bloom selects, or nil when it
// selects every stored topic (the archive then reads by time alone).
func (s *Server) topicsFor(bloom []byte) ([][]byte, error) {
	all, err := s.archive.ArchiveTopics()
	if err != nil {
		return nil, fmt.Errorf("read archive topics: %w", err)
	}
	matched := make([][]byte, 0, len(all))
	for _, t := range all {
		if len(t) == 4 && BloomMatch(bloom, whisperv6.TopicToBloom(whisperv6.BytesToTopic(t))) {
			matched = append(matched, t)
		}
	}
	if len(matched) == len(all) {
		return nil, nil
	}
	return matched, nil
}

// damage counts the archive rows a page skipped as unreadable.
type damage struct {
	count int
	first string // the first one's key
	err   error  // and why
}

func (d *damage) note(key []byte, err error) {
	if d.count == 0 {
		d.first, d.err = hex.EncodeToString(key), err
	}
	d.count++
}

func (d *damage) report(s *Server) {
	if d.count > 0 {
		s.log.Warn("archived envelopes unreadable; skipped", "count", d.count, "first-key", d.first, "err", d.err)
	}
}

// scanEnd is the exclusive end of the keys sent at or before upper. For
// upper = 0xFFFFFFFF, upper+1 would wrap to 0 and select nothing; any key
// sent then is below 41 bytes of 0xFF.
func scanEnd(upper uint32) []byte {
	if upper == math.MaxUint32 {
		return bytes.Repeat([]byte{0xff}, KeyLength+1)
	}
	end := make([]byte, 4)
	binary.BigEndian.PutUint32(end, upper+1)
	return end
}

// refuse tells the peer why its request is refused, with ERROR=, and
// notes it in the refusal summary (a peer may send refused requests as fast
// as it can; each must not cost a log line).
func (s *Server) refuse(now time.Time, peerID []byte, requestID common.Hash, reason error) {
	s.counters.refused.Add(1)
	s.refusals.note(now, peerID, requestID, refusalKind(reason), reason)
	payload := mailformat.EncodeCompletion(mailformat.Completion{RequestID: requestID, Err: reason.Error()})
	if err := s.sender.SendCompletion(peerID, payload); err != nil {
		s.log.Debug("send error reply", "peer", shortID(peerID), "err", err)
	}
}

// lazyHash prints an envelope's hash, computed when printed.
type lazyHash struct{ env *whisperv6.Envelope }

func (h lazyHash) String() string { return h.env.Hash().Hex() }

func shortID(peerID []byte) string {
	return hex.EncodeToString(peerID[:min(len(peerID), 8)])
}
