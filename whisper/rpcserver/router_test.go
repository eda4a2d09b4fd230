package rpcserver

import (
	"log/slog"
	"testing"

	"hush/whisper"
)

// A subscriber whose queue is full is given up on (its subscription ends
// and the caller is told), instead of holding the node's deliveries up.
func TestRouterGivesUpOnAFullQueue(t *testing.T) {
	rt := newRouter(nil, false, slog.New(slog.DiscardHandler))
	rs := &rpcSub{nodeSubs: []string{"a"}, queue: make(chan whisper.Received, 1), dead: make(chan struct{})}
	rt.add(rs)
	quit := make(chan struct{})
	rt.route(whisper.Received{Subscription: "a"}, quit)
	if rs.isDead() {
		t.Fatal("given up on with room in its queue")
	}
	rt.route(whisper.Received{Subscription: "a"}, quit) // returns at once
	if !rs.isDead() {
		t.Fatal("a full queue did not end the subscription")
	}
	if rs.queued != 1 {
		t.Fatalf("queued %d, want 1", rs.queued)
	}
}
