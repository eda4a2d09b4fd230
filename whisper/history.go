package whisper

import (
	"context"
	"errors"
	"fmt"
	"time"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
)

// History request defaults (PROTOCOL.md §4.2).
const (
	DefaultHistoryTimeout = 20 * time.Second
	DefaultHistoryQuiet   = 2 * time.Second
	DefaultRequestPoW     = 0.002
	requestTTL            = 50 // seconds, as status-go
	requestSealTime       = 5  // seconds of PoW search at most
)

// ErrRequestTimeout: the mailserver did not finish the page in time.
var ErrRequestTimeout = errors.New("mailserver did not answer in time")

// HistoryRequest asks a mailserver for one page of archived envelopes.
type HistoryRequest struct {
	mailformat.Request
	Format  mailformat.Format
	SymKey  []byte        // mailserver password key; nil → key of OfflineInboxPassword
	PoW     float64       // PoW of the request envelope; 0 → DefaultRequestPoW (never below the node's MinPoW)
	Timeout time.Duration // longest silence: the page fails when nothing (envelope or completion) arrives for this long; 0 → DefaultHistoryTimeout
	Quiet   time.Duration // geth format only: the page ends after this long without a direct envelope; 0 → DefaultHistoryQuiet
}

// HistoryPage is the outcome of one request.
type HistoryPage struct {
	RequestID    [32]byte // hash of the request envelope
	Cursor       []byte   // nil = no more pages
	LastEnvelope [32]byte // as the completion names it (geth format: the last one received)
	Envelopes    int      // code-127 envelopes accepted from the peer for this request
}

// RequestHistory sends req to the connected peer and waits for the page:
// the completion (status format), the end of a quiet period (geth format,
// which sends no completion), an ERROR= reply, the timeout or ctx. The
// envelopes themselves reach the subscriptions (Received, Direct true).
// Requests to one peer run one at a time, so envelopes count for the right
// page.
func (n *Node) RequestHistory(ctx context.Context, peer enode.ID, req HistoryRequest) (HistoryPage, error) {
	if !n.running() {
		return HistoryPage{}, fmt.Errorf("request history: %w", errNotRunning)
	}
	l := n.link(peer)
	if l == nil {
		return HistoryPage{}, fmt.Errorf("request history: %w: %s", ErrNotConnected, peer.TerminalString())
	}
	if len(req.Bloom) != mailformat.BloomLength {
		return HistoryPage{}, fmt.Errorf("request history: bloom is %d bytes, want %d", len(req.Bloom), mailformat.BloomLength)
	}
	if req.Timeout <= 0 {
		req.Timeout = DefaultHistoryTimeout
	}
	if req.Quiet <= 0 {
		req.Quiet = DefaultHistoryQuiet
	}
	if req.PoW <= 0 {
		req.PoW = DefaultRequestPoW
	}
	if req.PoW < n.cfg.MinPoW {
		req.PoW = n.cfg.MinPoW
	}
	symKey := req.SymKey
	if symKey == nil {
		symKey = n.offlineInboxKey()
	}
	if len(symKey) != 32 {
		return HistoryPage{}, fmt.Errorf("request history: mailserver key is %d bytes, want 32", len(symKey))
	}

	// Sealing and waiting for the peer's slot are bounded by Timeout; once
	// the request is out, Timeout bounds silence instead, so a long page
	// (geth sends a whole catch-up as one) may take as long as it keeps
	// coming.
	waitCtx, cancel := context.WithTimeoutCause(ctx, req.Timeout, ErrRequestTimeout)
	defer cancel()

	// Sealing first: it may take a while and needs no slot.
	env, err := seal(&whisperv6.MessageParams{
		TTL:      requestTTL,
		Src:      n.cfg.NodeKey,
		KeySym:   symKey,
		Topic:    whisperv6.TopicType{},
		WorkTime: requestSealTime,
		PoW:      req.PoW,
		Payload:  mailformat.EncodeRequest(req.Request, req.Format),
	})
	if err != nil {
		return HistoryPage{}, fmt.Errorf("request history: %w", err)
	}
	page := HistoryPage{RequestID: env.Hash()}
	log := n.log.With("peer", peer.TerminalString(), "request", fmt.Sprintf("%x", page.RequestID[:8]), "format", req.Format.String())

	select {
	case l.slot <- struct{}{}:
	case <-waitCtx.Done():
		return page, waitError(waitCtx, req.Timeout)
	case <-l.closed:
		return page, fmt.Errorf("request history: mailserver %s disconnected", peer.TerminalString())
	}
	defer func() { <-l.slot }()

	pr := &pendingRequest{
		id:       page.RequestID,
		activity: make(chan struct{}, 1),
		done:     make(chan mailformat.Completion, 1),
	}
	l.begin(pr)
	// whisperv6's RequestHistoricMessages would do the same and also set
	// the peer's trusted flag from this goroutine, racing its reader; hush
	// needs no such flag, as direct envelopes never reach whisperv6.
	if err := p2p.Send(l.rw, codeRequest, env); err != nil {
		l.end(pr, time.Now())
		return page, fmt.Errorf("request history: send request: %w", err)
	}
	log.Debug("history request sent", "lower", req.Lower, "upper", req.Upper, "limit", req.Limit, "cursor", len(req.Cursor) > 0)

	idle := time.NewTimer(req.Timeout)
	defer idle.Stop()
	var quiet <-chan time.Time
	var quietTimer *time.Timer
	if req.Format == mailformat.FormatGeth {
		quietTimer = time.NewTimer(req.Quiet)
		defer quietTimer.Stop()
		quiet = quietTimer.C
	}
	for {
		select {
		case c := <-pr.done:
			page.Envelopes, _ = l.end(pr, time.Now())
			if c.Err != "" {
				return page, fmt.Errorf("request history: mailserver refused request: %s", c.Err)
			}
			page.Cursor = c.Cursor
			page.LastEnvelope = c.LastEnvelope
			log.Debug("history page complete", "envelopes", page.Envelopes, "more", page.Cursor != nil)
			return page, nil
		case <-pr.activity:
			idle.Reset(req.Timeout)
			if quietTimer != nil {
				quietTimer.Reset(req.Quiet)
			}
		case <-quiet:
			page.Envelopes, page.LastEnvelope = l.end(pr, time.Now())
			log.Debug("history page quiet", "envelopes", page.Envelopes)
			return page, nil
		case <-idle.C:
			page.Envelopes, _ = l.end(pr, time.Now())
			return page, fmt.Errorf("request history: nothing for %s: %w", req.Timeout, ErrRequestTimeout)
		case <-ctx.Done():
			page.Envelopes, _ = l.end(pr, time.Now())
			return page, fmt.Errorf("request history: %w", ctx.Err())
		case <-l.closed:
			page.Envelopes, _ = l.end(pr, time.Now())
			return page, fmt.Errorf("request history: mailserver %s disconnected", peer.TerminalString())
		case <-n.quit:
			page.Envelopes, _ = l.end(pr, time.Now())
			return page, fmt.Errorf("request history: %w", errNotRunning)
		}
	}
}

// waitError tells our own timeout from the caller's cancellation.
func waitError(ctx context.Context, timeout time.Duration) error {
	if errors.Is(context.Cause(ctx), ErrRequestTimeout) {
		return fmt.Errorf("request history: no page after %s: %w", timeout, ErrRequestTimeout)
	}
	return fmt.Errorf("request history: %w", ctx.Err())
}
