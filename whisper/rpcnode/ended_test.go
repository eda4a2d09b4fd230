package rpcnode

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// endingShh ends the first subscription it makes the way hush serve ends
// one it gave up on (hushEnded), after one message; later ones work.
type endingShh struct{ subs atomic.Int32 }

func (e *endingShh) Version() string                             { return "6.0" }
func (e *endingShh) AddSymKey(key hexutil.Bytes) (string, error) { return "sym", nil }

func (e *endingShh) Messages(ctx context.Context, crit map[string]any) (*rpc.Subscription, error) {
	n, _ := rpc.NotifierFromContext(ctx)
	sub := n.CreateSubscription()
	first := e.subs.Add(1) == 1
	go func() {
		msg := map[string]any{"hash": make(hexutil.Bytes, 32), "topic": "0x01020304", "payload": hexutil.Bytes("again")}
		if first {
			msg["payload"] = hexutil.Bytes("first")
		}
		n.Notify(sub.ID, msg)
		if first {
			n.Notify(sub.ID, map[string]any{"hushEnded": "subscriber too slow; subscribe again"})
		}
	}()
	return sub, nil
}

// A subscription the node ended (hushEnded) is not left silent: the
// transport starts a new connection, says so, and subscribes again.
func TestNodeEndsSubscription(t *testing.T) {
	fake := &endingShh{}
	srv := rpc.NewServer()
	if err := srv.RegisterName("shh", fake); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.WebsocketHandler(nil)}
	go hs.Serve(l)
	defer hs.Close()
	n, err := New(Config{URL: "ws://" + l.Addr().String(), BackoffMax: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	if _, err := n.SubscribeSym([4]byte{1, 2, 3, 4}, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"first", "again"} {
		select {
		case r := <-n.Received():
			if string(r.Payload) != want {
				t.Fatalf("got %q, want %q", r.Payload, want)
			}
		case <-time.After(waitTimeout):
			t.Fatalf("no %q", want)
		}
	}
	if got := fake.subs.Load(); got != 2 {
		t.Fatalf("%d subscriptions made, want 2", got)
	}
	deadline := time.After(waitTimeout)
	for {
		select {
		case nt := <-n.Notices():
			if strings.Contains(nt.Text, "a subscription ended") {
				return
			}
		case <-deadline:
			t.Fatal("no notice of the restart")
		}
	}
}
