package rpcserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/whisper"
	"hush/whisper/mailformat"
)

// shhextAPI is the part of status-go's shhext namespace a thin client
// needs for history (PROTOCOL.md §10).
type shhextAPI struct{ s *Server }

// MessagesRequest is status-go's request for history, as shhext_requestMessages
// takes it. From and To are unix seconds (To 0: now; From 0: a day before To);
// Timeout is in seconds. Subscriptions is hush's: the hushTag of each of the
// caller's subscriptions to answer counts for.
type MessagesRequest struct {
	MailServerPeer string                `json:"mailServerPeer"`
	From           uint32                `json:"from"`
	To             uint32                `json:"to"`
	Limit          uint32                `json:"limit"`
	Cursor         string                `json:"cursor"`
	Topic          whisperv6.TopicType   `json:"topic"` // deprecated by status-go for Topics
	Topics         []whisperv6.TopicType `json:"topics"`
	SymKeyID       string                `json:"symKeyID"`
	Timeout        uint32                `json:"timeout"`
	Force          bool                  `json:"force"`
	Subscriptions  []string              `json:"hushSubscriptions,omitempty"`
}

// MessagesResponse answers shhext_requestMessagesSync: status-go's cursor
// and error, plus what hush adds. Notified counts, per hushTag asked for,
// the notifications that subscription sent in all by the time the page's
// were written.
type MessagesResponse struct {
	Cursor       string            `json:"cursor"`
	Error        string            `json:"error,omitempty"`
	RequestID    hexutil.Bytes     `json:"requestId"`
	LastEnvelope hexutil.Bytes     `json:"lastEnvelope"`
	Envelopes    int               `json:"envelopes"`
	Notified     map[string]uint64 `json:"notified"`
}

// defaultRequestTimeout is status-go's default for Timeout.
const defaultRequestTimeout = 10 * time.Second

// RequestMessages asks for one page of history and returns the request id
// once the page's envelopes were handed to the subscriptions. A request
// naming this node (or none) is answered from its own archive; one naming
// another node is sent to that peer, which must be connected.
func (a *shhextAPI) RequestMessages(ctx context.Context, r MessagesRequest) (hexutil.Bytes, error) {
	res, err := a.s.request(ctx, r)
	if err != nil {
		return nil, err
	}
	return res.RequestID, nil
}

// RequestMessagesSync is RequestMessages answering with the page's
// cursor. The retry settings status-go takes first are not used: a thin
// client retries itself.
func (a *shhextAPI) RequestMessagesSync(ctx context.Context, _ json.RawMessage, r MessagesRequest) (MessagesResponse, error) {
	return a.s.request(ctx, r)
}

func (s *Server) request(ctx context.Context, r MessagesRequest) (MessagesResponse, error) {
	var res MessagesResponse
	req, err := requestFrom(r, time.Now())
	if err != nil {
		return res, err
	}
	timeout := defaultRequestTimeout
	if r.Timeout > 0 {
		timeout = time.Duration(r.Timeout) * time.Second
	}
	local, peer, err := s.target(r.MailServerPeer)
	if err != nil {
		return res, err
	}
	if local {
		if s.cfg.Mailserver == nil {
			return res, errors.New("request messages: this node keeps no archive; name a mailserver peer")
		}
		id := make([]byte, 32)
		rand.Read(id)
		n := 0
		c, err := s.cfg.Mailserver.Query(req, func(env *whisperv6.Envelope) error {
			if !s.cfg.Node.DeliverDirect(env) {
				return errors.New("node stopped")
			}
			n++
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("request messages: %w", err)
		}
		res.RequestID, res.Envelopes = id, n
		res.LastEnvelope, res.Cursor = c.LastEnvelope[:], hex.EncodeToString(c.Cursor)
	} else {
		var symKey []byte
		if r.SymKeyID != "" {
			if symKey, err = s.shh.GetSymKey(r.SymKeyID); err != nil {
				return res, fmt.Errorf("request messages: %w", err)
			}
		}
		page, err := s.cfg.Node.RequestHistory(ctx, peer, whisper.HistoryRequest{
			Request: req,
			Format:  mailformat.FormatStatus,
			SymKey:  symKey,
			Timeout: timeout,
		})
		if err != nil {
			return res, err
		}
		res.RequestID, res.Envelopes = page.RequestID[:], page.Envelopes
		res.LastEnvelope, res.Cursor = page.LastEnvelope[:], hex.EncodeToString(page.Cursor)
	}
	bctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if res.Notified, err = s.router.barrier(bctx, r.Subscriptions); err != nil {
		return res, fmt.Errorf("request messages: waiting for notifications: %w", err)
	}
	return res, nil
}

// target tells whether peer names this node (or nobody) and otherwise
// which node it names.
func (s *Server) target(peer string) (local bool, id enode.ID, err error) {
	if peer == "" {
		return true, id, nil
	}
	n, err := enode.Parse(enode.ValidSchemes, peer)
	if err != nil {
		return false, id, fmt.Errorf("request messages: mailServerPeer: %w", err)
	}
	if n.ID() == s.cfg.Node.Enode().ID() {
		return true, id, nil
	}
	return false, n.ID(), nil
}

// requestFrom turns status-go's fields into a mailserver request.
func requestFrom(r MessagesRequest, now time.Time) (mailformat.Request, error) {
	to := r.To
	if to == 0 {
		to = uint32(now.Unix())
	}
	from := r.From
	if from == 0 && to > 86400 {
		from = to - 86400
	}
	if from > to {
		return mailformat.Request{}, fmt.Errorf("request messages: from %d is after to %d", from, to)
	}
	topics := r.Topics
	if len(topics) == 0 && r.Topic != (whisperv6.TopicType{}) {
		topics = []whisperv6.TopicType{r.Topic}
	}
	bloom := make([]byte, mailformat.BloomLength)
	if len(topics) == 0 {
		for i := range bloom {
			bloom[i] = 0xff
		}
	}
	for _, t := range topics {
		for i, b := range whisperv6.TopicToBloom(t) {
			bloom[i] |= b
		}
	}
	var cursor []byte
	if c := strings.TrimPrefix(r.Cursor, "0x"); c != "" {
		var err error
		if cursor, err = hex.DecodeString(c); err != nil {
			return mailformat.Request{}, fmt.Errorf("request messages: cursor: %w", err)
		}
		if len(cursor) != mailformat.CursorLength {
			return mailformat.Request{}, fmt.Errorf("request messages: cursor is %d bytes, want %d", len(cursor), mailformat.CursorLength)
		}
	}
	return mailformat.Request{Lower: from, Upper: to, Bloom: bloom, Limit: r.Limit, Cursor: cursor}, nil
}
