package ui

import (
	"strings"
	"testing"

	"hush/session"
)

// TestIgnoreCommand: /ignore NAME hides a sender's lines in the pane, asks
// the session to drop the key, and takes away our chat with it; /ignore
// lists who is ignored; /unignore with the short key shows the lines again.
func TestIgnoreCommand(t *testing.T) {
	mallory := testMessage("alpha", 1, "mallory", "buy my coin")
	dm := session.Chat{ID: mallory.Sender, Kind: session.OneToOne, Name: "mallory"}
	fake := newFakeSession(publicChat("alpha"), dm)
	fake.preload("alpha", mallory, testMessage("alpha", 2, "alice", "hello all"))
	h := startUI(t, fake, 100, 25)
	h.waitScreen("mallory", "buy my coin")
	h.waitScreen("@mallory")

	h.enter("/ignore mallory")
	h.waitCalls("Ignore "+mallory.Sender, 1)
	h.waitFor("mallory hidden", func() bool {
		s := h.screenText()
		return !strings.Contains(s, "buy my coin") && !strings.Contains(s, "@mallory") && strings.Contains(s, "hello all")
	})
	h.waitScreen("ignoring " + shortKey(mallory.Sender))

	h.enter("/ignore")
	h.waitScreen(mallory.Sender[:40])

	h.enter("/unignore " + shortKey(mallory.Sender))
	h.waitCalls("Unignore "+mallory.Sender, 1)
	h.waitScreen("mallory", "buy my coin")

	h.enter("/unignore " + shortKey(mallory.Sender))
	h.waitScreen("not ignored")
}

// TestIgnoredHiddenAtStart: lines stored before a key was ignored stay
// hidden when the UI starts.
func TestIgnoredHiddenAtStart(t *testing.T) {
	mallory := testMessage("alpha", 1, "mallory", "buy my coin")
	fake := newFakeSession(publicChat("alpha"))
	fake.preload("alpha", mallory, testMessage("alpha", 2, "alice", "hello all"))
	fake.ignored = []string{mallory.Sender}
	h := startUI(t, fake, 100, 25)
	h.waitScreen("alice", "hello all")
	if strings.Contains(h.screenText(), "buy my coin") {
		t.Fatalf("an ignored sender is shown:\n%s", h.screenText())
	}
}
