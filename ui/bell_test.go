package ui

import (
	"sync"
	"testing"
	"time"

	"hush/session"
)

// testClock is a time source the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestBellOncePerChatPerMinute: a flood of private messages off screen rings
// the bell once; the same chat rings again only after a minute, and another
// chat rings on its own.
func TestBellOncePerChatPerMinute(t *testing.T) {
	bob := session.Chat{ID: "0x04b0b", Kind: session.OneToOne, Name: "bob"}
	carol := session.Chat{ID: "0x04ca701", Kind: session.OneToOne, Name: "carol"}
	fake := newFakeSession(publicChat("alpha"), bob, carol)
	h := startUI(t, fake, 80, 25)
	h.waitFor("alpha on screen", func() bool { return h.current() == "alpha" })
	clock := &testClock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	h.onLoop(func() { h.ui.bell.now = clock.now })

	const batches, perBatch = 50, 10
	for b := range batches {
		msgs := make([]session.Message, perBatch)
		for i := range msgs {
			msgs[i] = testMessage(bob.ID, b*perBatch+i+1, "bob", "flood")
		}
		fake.deliver(bob.ID, false, msgs...)
	}
	h.waitScreen("@bob", "500")
	if n := h.beeps.Load(); n != 1 {
		t.Fatalf("%d bells for a flood from one chat, want 1", n)
	}

	clock.advance(30 * time.Second)
	fake.deliver(carol.ID, false, testMessage(carol.ID, 1, "carol", "hi"))
	h.waitFor("carol's bell", func() bool { return h.beeps.Load() == 2 })
	fake.deliver(bob.ID, false, testMessage(bob.ID, 2000, "bob", "still here"))
	h.waitScreen("@bob", "501")
	if n := h.beeps.Load(); n != 2 {
		t.Fatalf("%d bells; bob rang again within the minute", n)
	}

	clock.advance(31 * time.Second)
	fake.deliver(bob.ID, false, testMessage(bob.ID, 2001, "bob", "a minute later"))
	h.waitFor("bob's second bell", func() bool { return h.beeps.Load() == 3 })
}
