package rpcnode

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"

	"hush/whisper"
	"hush/whisper/mailformat"
)

// methodNotFound is JSON-RPC's code for an unknown method.
const methodNotFound = -32601

// messagesResponse is what shhext_requestMessagesSync answers (hush serve
// adds requestId, lastEnvelope, envelopes and notified to status-go's).
type messagesResponse struct {
	Cursor       string            `json:"cursor"`
	Error        string            `json:"error"`
	RequestID    hexutil.Bytes     `json:"requestId"`
	LastEnvelope hexutil.Bytes     `json:"lastEnvelope"`
	Envelopes    int               `json:"envelopes"`
	Notified     map[string]uint64 `json:"notified"`
}

// RequestHistory asks the node for one page of history from peer (the node
// itself when it keeps an archive) with shhext_requestMessagesSync, and
// returns once every envelope of the page reached Received(). The topics
// asked for are the subscribed ones req.Bloom matches; the node forms the
// bloom again from them.
func (n *Node) RequestHistory(ctx context.Context, peer enode.ID, req whisper.HistoryRequest) (whisper.HistoryPage, error) {
	var page whisper.HistoryPage
	c, err := n.current()
	if err != nil {
		return page, fmt.Errorf("request history: %w: %w", whisper.ErrNotConnected, err)
	}
	if !c.history {
		return page, fmt.Errorf("request history: %w", ErrNoHistory)
	}
	target, tags, topics := n.historyArgs(peer, req.Bloom, c.gen)
	if target == "" {
		return page, fmt.Errorf("request history: %w: %s is not a peer we know", whisper.ErrNotConnected, peer.TerminalString())
	}
	if _, ok := n.Connection(peer); !ok {
		return page, fmt.Errorf("request history: %w: %s", whisper.ErrNotConnected, peer.TerminalString())
	}
	var symKeyID string
	if req.SymKey != nil {
		symKeyID, err = n.symKeyID(c, req.SymKey)
	} else {
		symKeyID, err = n.keyID(c, "p"+whisper.OfflineInboxPassword, "shh_generateSymKeyFromPassword", whisper.OfflineInboxPassword)
	}
	if err != nil {
		return page, fmt.Errorf("request history: %w", err)
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = whisper.DefaultHistoryTimeout
	}
	args := map[string]any{
		"mailServerPeer":    target,
		"from":              req.Lower,
		"to":                req.Upper,
		"limit":             req.Limit,
		"cursor":            hex.EncodeToString(req.Cursor),
		"topics":            topics,
		"symKeyID":          symKeyID,
		"timeout":           uint32((timeout + time.Second - 1) / time.Second),
		"hushSubscriptions": tags,
	}
	var res messagesResponse
	if err := c.client.CallContext(ctx, &res, "shhext_requestMessagesSync", map[string]any{}, args); err != nil {
		var rerr rpc.Error
		if errors.As(err, &rerr) && rerr.ErrorCode() == methodNotFound {
			return page, fmt.Errorf("request history: %w", ErrNoHistory)
		}
		return page, historyError(err)
	}
	if res.Error != "" {
		return page, historyError(errors.New(res.Error))
	}
	copy(page.RequestID[:], res.RequestID)
	copy(page.LastEnvelope[:], res.LastEnvelope)
	page.Envelopes = res.Envelopes
	if res.Cursor != "" {
		if page.Cursor, err = hex.DecodeString(strings.TrimPrefix(res.Cursor, "0x")); err != nil || len(page.Cursor) != mailformat.CursorLength {
			return page, fmt.Errorf("request history: node answered a bad cursor %q", res.Cursor)
		}
	}
	// The page is complete for the session only when every notification
	// the node sent for it has been handed over.
	for tag, count := range res.Notified {
		if err := n.waitReceived(ctx, tag, count); err != nil {
			return page, fmt.Errorf("request history: %w", err)
		}
	}
	return page, nil
}

// historyArgs names the mailserver for the node, and picks the tags of our
// subscriptions on connection gen and the subscribed topics bloom matches.
func (n *Node) historyArgs(peer enode.ID, bloom []byte, gen uint64) (target string, tags []string, topics []hexutil.Bytes) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.self != nil && n.self.ID() == peer {
		target = n.self.URLv4()
	} else if s := n.static[peer]; s != nil {
		target = s.URLv4()
	}
	for t := range n.topics {
		if bloomHas(bloom, whisperv6.TopicToBloom(whisperv6.TopicType(t))) {
			topics = append(topics, hexutil.Bytes(t[:]))
		}
	}
	for _, s := range n.subs {
		s.mu.Lock()
		if s.live != nil && s.live.gen == gen {
			tags = append(tags, s.live.tag)
		}
		s.mu.Unlock()
	}
	return target, tags, topics
}

// historyError keeps the meaning of the node's answer for the session,
// which tells timeouts, unconnected mailservers and refusals apart.
func historyError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, whisper.ErrNotConnected.Error()):
		return fmt.Errorf("request history: %w: %s", whisper.ErrNotConnected, msg)
	case strings.Contains(msg, whisper.ErrRequestTimeout.Error()):
		return fmt.Errorf("request history: %w: %s", whisper.ErrRequestTimeout, msg)
	}
	return fmt.Errorf("request history: %s", msg)
}

func timeSeconds(s uint32) time.Duration { return time.Duration(s) * time.Second }

// bloomHas reports whether every bit of a topic's bloom is set in bloom.
func bloomHas(bloom, topic []byte) bool {
	if len(bloom) != len(topic) {
		return false
	}
	for i := range bloom {
		if bloom[i]|topic[i] != bloom[i] {
			return false
		}
	}
	return true
}
