package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"hush/session"
)

// TestWhoamiHidesUnreachableEnode: a client that does not listen has no
// enode anyone can dial; /whoami says how to get one instead.
func TestWhoamiHidesUnreachableEnode(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	fake.self.Enode = "enode://aa11@127.0.0.1:0"
	h := startUI(t, fake, 120, 25)
	h.enter("/whoami")
	h.waitScreen("peers cannot dial it", "--listen ADDR")
	if strings.Contains(h.screenText(), "enode://") {
		t.Fatalf("/whoami shows an enode no one can reach:\n%s", h.screenText())
	}
}

// TestLogKeepsNotices: errors that left the status line can be read again
// with /log, which scrolls.
func TestLogKeepsNotices(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	h := startUI(t, fake, 80, 12)
	for i := range 30 {
		h.enter(fmt.Sprintf("/bogus%02d", i))
		h.waitScreen(fmt.Sprintf("unknown command /bogus%02d", i))
	}
	fake.events <- session.Notice{Text: "mailserver said no", Err: true}
	h.waitScreen("mailserver said no")
	h.enter("/log")
	// Newest last, in view; the first ones are a page up.
	h.waitScreen("recent notices: 31 notices, 31 errors")
	h.waitScreen("mailserver said no")
	h.waitScreen("PgUp/PgDn")
	if strings.Contains(h.screenText(), "/bogus00") {
		t.Fatal("the oldest notice is in view before scrolling")
	}
	for range 5 {
		h.press(tcell.KeyPgUp, tcell.ModNone)
	}
	h.waitScreen("unknown command /bogus00 (try /help)")
	// Red, as it was in the status line.
	row := h.waitScreen("/bogus00")
	_, styles := h.rows()
	if fg, _, _ := styles[row][10].Decompose(); fg != tcell.ColorRed {
		t.Fatalf("logged error drawn in %v, want red", fg)
	}
	h.press(tcell.KeyEscape, tcell.ModNone)
	h.waitFor("the sheet closed", func() bool { return !strings.Contains(h.screenText(), "recent notices") })
	// Sending text closes a sheet too, so the line sent is in view.
	h.enter("/log")
	h.waitScreen("recent notices")
	h.enter("plain words")
	h.waitCalls("Send status plain words", 1)
	h.waitFor("the sheet closed by sending", func() bool { return !strings.Contains(h.screenText(), "recent notices") })
}

// TestSearchCountsAndPages: /search says how many matched, shows more
// than the old silent cap of 50 (PgDn reaches the oldest), and /search
// alone brings the results back after a chat switch.
func TestSearchCountsAndPages(t *testing.T) {
	fake := newFakeSession(publicChat("status"), publicChat("other"))
	for i := range 120 {
		fake.preload("status", testMessage("status", i, "bob", fmt.Sprintf("needle %03d", i)))
	}
	fake.preload("status", testMessage("status", 500, "bob", "hay"))
	h := startUI(t, fake, 80, 20)
	h.waitScreen("needle 119")
	h.enter("/search needle")
	h.waitScreen(`search "needle" in #status: 120 messages matched`)
	h.waitScreen("needle 000")
	for range 40 {
		h.press(tcell.KeyPgDn, tcell.ModNone)
	}
	h.waitScreen("needle 119")
	h.waitScreen("of 120")

	h.press(tcell.KeyCtrlN, tcell.ModCtrl)
	h.waitFor("#other shown", func() bool { return h.current() == "other" })
	if strings.Contains(h.screenText(), "matched") {
		t.Fatal("the results stayed over another chat")
	}
	h.enter("/search")
	h.waitScreen(`search "needle" in #status: 120 messages matched`)
	h.waitScreen("needle 000")
	if n := len(fake.callsWith("Search ")); n != 1 {
		t.Fatalf("/search alone searched again (%d calls)", n)
	}
}

// TestSearchSaysWhenCut: past searchLimit the title says the list is cut.
func TestSearchSaysWhenCut(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	for i := range searchLimit + 5 {
		fake.preload("status", testMessage("status", i, "bob", "x"))
	}
	h := startUI(t, fake, 200, 10)
	h.enter("/search x")
	h.waitScreen(fmt.Sprintf("more than %d messages matched; the newest %d are shown", searchLimit, searchLimit))
}

// TestIncomingOpensWhenNoChatOpen: with nothing on screen, a message in a
// new chat shows that chat.
func TestIncomingOpensWhenNoChatOpen(t *testing.T) {
	fake := newFakeSession()
	h := startUI(t, fake, 80, 20)
	h.waitScreen("/join")
	peer := "0x04" + strings.Repeat("cd", 64)
	// The message first, the chat list after it (another batch), as a
	// new one-to-one chat arrives.
	fake.events <- session.MessagesAdded{ChatID: peer, Messages: []session.Message{testMessage(peer, 1, "carol", "hi there")}}
	fake.mu.Lock()
	fake.chats = append(fake.chats, session.Chat{ID: peer, Kind: session.OneToOne, Name: "carol", Unread: 1})
	fake.store(peer, testMessage(peer, 1, "carol", "hi there"))
	fake.emitChats()
	fake.mu.Unlock()
	h.waitFor("the new chat shown", func() bool { return h.current() == peer })
	h.waitScreen("hi there")
}

// TestReopensLastChat: the chat on screen at quit is shown on the next
// start.
func TestReopensLastChat(t *testing.T) {
	dir := t.TempDir()
	chats := []session.Chat{publicChat("one"), publicChat("two"), publicChat("three")}
	h := runUIIn(t, newFakeSession(chats...), 80, 20, dir)
	h.alt('3')
	h.waitFor("#three shown", func() bool { return h.current() == "three" })
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	h.ended = true
	again := runUIIn(t, newFakeSession(chats...), 80, 20, dir)
	again.waitFor("#three shown again", func() bool { return again.current() == "three" })
}

// TestStatusOfflineNotSynced: with no peer the status line says offline
// and drops a finished sync's summary, which says nothing about now.
func TestStatusOfflineNotSynced(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	h := startUI(t, fake, 100, 10)
	fake.events <- session.SyncProgress{Done: true, Messages: 4}
	h.waitScreen("3 peers", "history: 4 messages")
	fake.events <- session.PeersChanged{Count: 0}
	h.waitScreen("offline (0 peers)")
	if row := h.screenText(); strings.Contains(row, "history: 4 messages") {
		t.Fatalf("a finished sync shown with 0 peers:\n%s", row)
	}
	// A failure stays visible.
	fake.events <- session.SyncProgress{Err: "history: mailserver gone"}
	row := h.waitScreen("offline (0 peers)", "history failed: mailserver gone") // one row: the status line
	if rows, _ := h.rows(); strings.Contains(rows[row], "history: ") {
		t.Fatalf("the prefix repeats: %q", rows[row])
	}
}
