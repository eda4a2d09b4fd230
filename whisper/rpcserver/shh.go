package rpcserver

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"

	"hush/whisper"
)

// shhAPI replaces the methods of whisperv6's API that would install a
// whisperv6 filter (package doc says why).
type shhAPI struct{ s *Server }

// criteria are whisperv6's subscription criteria, plus hushTag: the
// caller's name for the subscription, which shhext_requestMessagesSync
// answers counts for (PROTOCOL.md §10). Stock nodes ignore it.
type criteria struct {
	SymKeyID     string          `json:"symKeyID"`
	PrivateKeyID string          `json:"privateKeyID"`
	Sig          hexutil.Bytes   `json:"sig"`
	MinPow       float64         `json:"minPow"`
	Topics       []hexutil.Bytes `json:"topics"`
	AllowP2P     bool            `json:"allowP2P"`
	Tag          string          `json:"hushTag"`
}

// maxTopics bounds the topics of one subscription.
const maxTopics = 1024

// Messages is shh_subscribe("messages", criteria): the node's decrypted
// messages on the topics, as whisperv6's notifications. Topics are
// required, also for an asymmetric key.
func (a *shhAPI) Messages(ctx context.Context, crit criteria) (*rpc.Subscription, error) {
	s := a.s
	notifier, ok := rpc.NotifierFromContext(ctx)
	if !ok {
		return nil, rpc.ErrNotificationsUnsupported
	}
	if (crit.SymKeyID == "") == (crit.PrivateKeyID == "") {
		return nil, errors.New("subscribe: give exactly one of symKeyID and privateKeyID")
	}
	if len(crit.Topics) == 0 || len(crit.Topics) > maxTopics {
		return nil, fmt.Errorf("subscribe: give 1 to %d topics", maxTopics)
	}
	topics := make([][4]byte, len(crit.Topics))
	for i, t := range crit.Topics {
		if len(t) == 0 || len(t) > 4 {
			return nil, fmt.Errorf("subscribe: topic %d has %d bytes, want 1 to 4", i, len(t))
		}
		copy(topics[i][:], t)
	}
	rs := &rpcSub{
		tag:      crit.Tag,
		allowP2P: crit.AllowP2P,
		queue:    make(chan whisper.Received, subQueue),
		dead:     make(chan struct{}),
	}
	if len(crit.Sig) > 0 {
		pub, err := crypto.UnmarshalPubkey(crit.Sig)
		if err != nil {
			return nil, fmt.Errorf("subscribe: sig: %w", err)
		}
		rs.signer = pub
	}
	subscribe, err := a.keyFor(crit)
	if err != nil {
		return nil, err
	}
	if crit.PrivateKeyID != "" {
		key, _ := s.shh.GetPrivateKey(crit.PrivateKeyID)
		rs.dst = crypto.FromECDSAPub(&key.PublicKey)
	}
	for _, t := range topics {
		id, err := subscribe(t)
		if err != nil {
			for _, done := range rs.nodeSubs {
				s.cfg.Node.Unsubscribe(done)
			}
			return nil, fmt.Errorf("subscribe: %w", err)
		}
		rs.nodeSubs = append(rs.nodeSubs, id)
	}
	sub := notifier.CreateSubscription()
	rs.id = sub.ID
	s.router.add(rs)
	go a.forward(notifier, sub, rs)
	return sub, nil
}

// keyFor resolves the criteria's key id in whisperv6's key store (where
// shh_addPrivateKey and shh_addSymKey put it) to a node subscription.
func (a *shhAPI) keyFor(crit criteria) (func([4]byte) (string, error), error) {
	node := a.s.cfg.Node
	if crit.SymKeyID != "" {
		key, err := a.s.shh.GetSymKey(crit.SymKeyID)
		if err != nil {
			return nil, fmt.Errorf("subscribe: %w", err)
		}
		return func(t [4]byte) (string, error) { return node.SubscribeSym(t, key) }, nil
	}
	key, err := a.s.shh.GetPrivateKey(crit.PrivateKeyID)
	if err != nil || key == nil {
		return nil, fmt.Errorf("subscribe: no key pair %q", crit.PrivateKeyID)
	}
	return func(t [4]byte) (string, error) { return node.SubscribeAsym(t, key) }, nil
}

// forward writes rs's deliveries to its caller until the caller
// unsubscribes, the connection closes or the router gives up on it.
func (a *shhAPI) forward(notifier *rpc.Notifier, sub *rpc.Subscription, rs *rpcSub) {
	rt := a.s.router
	defer rt.remove(rs)
	for {
		select {
		case r := <-rs.queue:
			if err := notifier.Notify(sub.ID, rs.message(r)); err != nil {
				a.s.log.Debug("rpc: notification not sent; subscription ended", "err", err)
				return
			}
			rt.sent(rs)
		case <-sub.Err():
			return
		case <-notifier.Closed():
			return
		case <-rs.dead:
			// Tell the caller its subscription is over: go-ethereum's server
			// cannot end one itself. hush --node starts afresh on this and
			// catches up; other clients see a message without a hash.
			notifier.Notify(sub.ID, ended{Ended: "subscriber too slow; subscribe again"})
			return
		case <-a.s.quit:
			return
		}
	}
}

// ended is the last notification of a subscription the router gave up on.
type ended struct {
	Ended string `json:"hushEnded"`
}

var errNoPolling = errors.New("hush serve has no polling filters: use shh_subscribe over WebSocket or IPC")

// NewMessageFilter is refused: see errNoPolling.
func (a *shhAPI) NewMessageFilter(crit criteria) (string, error) { return "", errNoPolling }

// GetFilterMessages is refused: see errNoPolling.
func (a *shhAPI) GetFilterMessages(id string) ([]any, error) { return nil, errNoPolling }

// DeleteMessageFilter is refused: see errNoPolling.
func (a *shhAPI) DeleteMessageFilter(id string) (bool, error) { return false, errNoPolling }
