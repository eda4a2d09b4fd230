package ui

import (
	"testing"

	"github.com/gdamore/tcell/v2"
)

// TestThreeWordNameCompletionAndMsg: a sender shown by its three-word name
// completes with Tab (all three words) and /msg takes the whole name, not
// its first word, as the recipient.
func TestThreeWordNameCompletionAndMsg(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	h := startUI(t, fake, 130, 25)
	fake.deliver("status", false, testMessage("status", 1, "Hard Tame Brownbutterfly", "hello"))
	h.waitScreen("Hard Tame Brownbutterfly", "hello")

	h.typeText("/msg har")
	h.press(tcell.KeyTab, tcell.ModNone)
	h.waitFor("name completed", func() bool { return h.inputText() == "/msg Hard Tame Brownbutterfly" })
	h.typeText(" hi there")
	h.press(tcell.KeyEnter, tcell.ModNone)
	if calls := h.waitCalls("OpenPrivate", 1); calls[0] != "OpenPrivate Hard Tame Brownbutterfly" {
		t.Fatalf("OpenPrivate calls = %q", calls)
	}
}
