package rpcnode

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/rpc"

	"hush/whisper"
	"hush/whisper/mailformat"
)

const waitTimeout = 60 * time.Second

// lyingShh is a node whose shh API answers with garbage: notifications
// with a short hash, another topic, a signer key that is no key, and then
// one good message; a post "hash" of 3 bytes.
type lyingShh struct{ good []byte }

func (l *lyingShh) Version() string                               { return "6.0" }
func (l *lyingShh) AddSymKey(key hexutil.Bytes) (string, error)   { return "sym", nil }
func (l *lyingShh) AddPrivateKey(k hexutil.Bytes) (string, error) { return "priv", nil }
func (l *lyingShh) Post(msg map[string]any) (hexutil.Bytes, error) {
	return hexutil.Bytes{1, 2, 3}, nil
}

func (l *lyingShh) Messages(ctx context.Context, crit map[string]any) (*rpc.Subscription, error) {
	n, _ := rpc.NotifierFromContext(ctx)
	sub := n.CreateSubscription()
	hash := make(hexutil.Bytes, 32)
	go func() {
		for _, m := range []map[string]any{
			{"hash": hexutil.Bytes{1}, "topic": "0x01020304", "payload": "0x01"},
			{"hash": hash, "topic": "0x09090909", "payload": "0x02"},
			{"hash": hash, "topic": "0x01020304", "payload": "0x03", "sig": "0x04deadbeef"},
			{"hash": hash, "topic": "0x01020304", "payload": hexutil.Bytes(l.good), "sig": hexutil.Bytes(l.goodSig())},
		} {
			n.Notify(sub.ID, m)
		}
	}()
	return sub, nil
}

func (l *lyingShh) goodSig() []byte {
	k, _ := crypto.GenerateKey()
	return crypto.FromECDSAPub(&k.PublicKey)
}

// A node's answers are input like any other: malformed notifications are
// dropped (logged), a malformed post answer is an error, and a node
// without shhext says it has no history. Nothing panics.
func TestHostileNode(t *testing.T) {
	srv := rpc.NewServer()
	if err := srv.RegisterName("shh", &lyingShh{good: []byte("fine")}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.WebsocketHandler(nil)}
	go hs.Serve(l)
	defer hs.Close()

	n, err := New(Config{URL: "ws://" + l.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	if !n.Connected() || n.PeerCount() != 1 || n.HasHistory() {
		t.Fatalf("connected %v, peers %d, history %v; want true, 1 (no admin_peers), false", n.Connected(), n.PeerCount(), n.HasHistory())
	}
	if _, err := n.SubscribeSym([4]byte{1, 2, 3, 4}, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-n.Received():
		if string(r.Payload) != "fine" || r.Signer == nil {
			t.Fatalf("delivered %q (signer %v); want only the good message", r.Payload, r.Signer)
		}
	case <-time.After(waitTimeout):
		t.Fatal("the good message did not arrive")
	}
	select {
	case r := <-n.Received():
		t.Fatalf("more delivered: %q", r.Payload)
	default:
	}
	key, _ := crypto.GenerateKey()
	if _, err := n.Post(whisper.Post{Topic: [4]byte{1, 2, 3, 4}, SymKey: make([]byte, 32), Signer: key, Payload: []byte("x")}); err == nil {
		t.Fatal("a 3-byte envelope hash was taken")
	}
	_, err = n.RequestHistory(context.Background(), enode.ID{}, whisper.HistoryRequest{Request: mailformat.Request{Bloom: make([]byte, mailformat.BloomLength)}})
	if !errors.Is(err, ErrNoHistory) {
		t.Fatalf("history from a node without shhext: %v", err)
	}
}
