package whisper

import (
	"bytes"
	"fmt"
	"sort"
	"sync"
	"time"

	"hush/codec"
	"hush/whisper/mailformat"
	"hush/whisper/mailserver"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// mailMode says how the test mailserver answers.
type mailMode int

const (
	answerPages  mailMode = iota // envelopes one per message, then a completion
	answerBatch                  // envelopes as one RLP list, then a completion
	answerError                  // an ERROR= completion
	answerSilent                 // nothing at all
)

// receivedRequest is what the test mailserver made of a request.
type receivedRequest struct {
	id     [32]byte
	req    mailformat.Request
	format mailformat.Format
	signed bool
}

// testMailServer is a minimal whisperv6.MailServer answering from a fixed
// set of envelopes, sorted by archive key, with non-overlapping pages.
type testMailServer struct {
	node  *Node
	key   []byte
	mode  mailMode
	extra []*whisperv6.Envelope // sent (one per message) before each page, e.g. hostile ones
	gap   time.Duration         // pause before each envelope of a page: a slow server

	mu        sync.Mutex
	envelopes []*whisperv6.Envelope
	requests  []receivedRequest
	problems  []string
	wg        sync.WaitGroup
}

func newTestMailServer(mode mailMode, envelopes []*whisperv6.Envelope) *testMailServer {
	sorted := append([]*whisperv6.Envelope(nil), envelopes...)
	sort.Slice(sorted, func(i, j int) bool { return bytes.Compare(archiveKey(sorted[i]), archiveKey(sorted[j])) < 0 })
	return &testMailServer{key: codec.SymKeyFromPassword(OfflineInboxPassword), mode: mode, envelopes: sorted}
}

func archiveKey(e *whisperv6.Envelope) []byte {
	return mailserver.Key(e.Expiry-e.TTL, e.Hash(), e.Topic)
}

func (s *testMailServer) Archive(*whisperv6.Envelope) {}

// DeliverMail runs on the peer's read goroutine; answer elsewhere.
func (s *testMailServer) DeliverMail(p *whisperv6.Peer, request *whisperv6.Envelope) {
	peerID := append([]byte(nil), p.ID()...)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.answer(peerID, request); err != nil {
			s.mu.Lock()
			s.problems = append(s.problems, err.Error())
			s.mu.Unlock()
		}
	}()
}

func (s *testMailServer) answer(peerID []byte, request *whisperv6.Envelope) error {
	msg := request.Open(&whisperv6.Filter{KeySym: s.key})
	if msg == nil {
		return fmt.Errorf("cannot open request %x", request.Hash())
	}
	req, format, err := mailformat.DecodeRequest(msg.Payload)
	if err != nil {
		return err
	}
	id := request.Hash()
	s.mu.Lock()
	s.requests = append(s.requests, receivedRequest{id: id, req: req, format: format, signed: msg.Src != nil})
	s.mu.Unlock()

	switch s.mode {
	case answerSilent:
		return nil
	case answerError:
		return s.node.SendCompletion(peerID, mailformat.EncodeCompletion(mailformat.Completion{RequestID: id, Err: "rate limit exceeded"}))
	}

	for _, e := range s.extra {
		if err := s.node.SendDirect(peerID, e); err != nil {
			return err
		}
	}
	page, cursor := s.page(req)
	if s.mode == answerBatch && len(page) > 0 {
		var rawID enode.ID
		copy(rawID[:], peerID)
		l := s.node.link(rawID)
		if l == nil {
			return fmt.Errorf("client gone")
		}
		if err := p2p.Send(l.rw, codeDirect, page); err != nil {
			return err
		}
	} else {
		for _, e := range page {
			time.Sleep(s.gap)
			if err := s.node.SendDirect(peerID, e); err != nil {
				return err
			}
		}
	}
	if format == mailformat.FormatGeth {
		return nil // geth's mailserver sends no completion
	}
	c := mailformat.Completion{RequestID: id, Cursor: cursor}
	if len(page) > 0 {
		c.LastEnvelope = page[len(page)-1].Hash()
	}
	return s.node.SendCompletion(peerID, mailformat.EncodeCompletion(c))
}

// page selects matching envelopes from the cursor on, up to the limit; the
// cursor returned is the key of the first envelope left over.
func (s *testMailServer) page(req mailformat.Request) ([]*whisperv6.Envelope, []byte) {
	limit := int(req.Limit)
	if limit == 0 {
		limit = 2000
	}
	var page []*whisperv6.Envelope
	for _, e := range s.envelopes {
		key := archiveKey(e)
		sent := e.Expiry - e.TTL
		if sent < req.Lower || sent > req.Upper || !mailserver.BloomMatch(req.Bloom, e.Bloom()) {
			continue
		}
		if req.Cursor != nil && bytes.Compare(key[:mailformat.CursorLength], req.Cursor) < 0 {
			continue
		}
		if len(page) == limit {
			return page, key[:mailformat.CursorLength]
		}
		page = append(page, e)
	}
	return page, nil
}

func (s *testMailServer) seen() ([]receivedRequest, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]receivedRequest(nil), s.requests...), append([]string(nil), s.problems...)
}
