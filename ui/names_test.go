package ui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"hush/session"
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

// TestNameNickAndWhoami: /name sets our name (status line and /whoami show
// ~Alice); /nick renames a peer at once, in the list and on its lines
// already in the pane, and /nick alone brings its own name back.
func TestNameNickAndWhoami(t *testing.T) {
	peer := "0x04" + strings.Repeat("ab", 64)
	fake := newFakeSession(session.Chat{ID: peer, Kind: session.OneToOne, Name: "~Bobby"})
	fake.nameOf = map[string]string{peer: "~Bobby"}
	msg := testMessage(peer, 1, "~Bobby", "hello from bob")
	msg.Sender = peer
	fake.preload(peer, msg)
	h := startUI(t, fake, 100, 25)
	h.waitScreen("@~Bobby")
	h.waitScreen("~Bobby", "hello from bob")

	h.enter("/name Alice")
	if calls := h.waitCalls("SetDisplayName", 1); calls[0] != "SetDisplayName Alice" {
		t.Fatalf("calls %q", calls)
	}
	h.waitScreen("│ ~Alice │")
	h.enter("/whoami")
	h.waitScreen("Your contacts see you as ~Alice (/name)")
	h.press(tcell.KeyEscape, tcell.ModNone)
	h.enter("/name")
	h.waitScreen("your contacts see you as ~Alice (your three-word name: Quiet Able Otter)")

	h.enter("/nick bob")
	h.waitScreen("@bob")
	h.waitScreen("bob hello from bob")
	if rows, _ := h.rows(); rowWith(rows, "~Bobby hello from bob") >= 0 {
		t.Fatal("the pane still shows the old name")
	}
	h.enter("/nick")
	if calls := h.waitCalls("SetNickname", 2); calls[1] != "SetNickname "+peer+" " {
		t.Fatalf("calls %q", calls)
	}
	h.waitScreen("@~Bobby")
	h.waitScreen("~Bobby hello from bob")
	h.waitScreen("nickname removed")
}

// TestMentionMarkBellHighlightAndTitle: a line naming us in a chat off
// screen marks the chat with a red "!", rings the bell once, puts the
// counts in the terminal title and is the first place Alt+A goes, where
// the line is highlighted.
func TestMentionMarkBellHighlightAndTitle(t *testing.T) {
	fake := newFakeSession(publicChat("alpha"), publicChat("beta"), publicChat("status"))
	h := startUI(t, fake, 100, 25)
	h.waitFor("alpha on screen", func() bool { return h.current() == "alpha" })
	title := func() string {
		var s string
		h.onLoop(func() { s = h.screen.GetTitle() })
		return s
	}
	h.waitFor("plain title", func() bool { return title() == "hush" })

	fake.deliver("beta", false, testMessage("beta", 1, "carol", "public chatter"))
	h.waitScreen("#beta", "1")
	h.waitFor("title with unread", func() bool { return title() == "hush (1 unread)" })
	if n := h.beeps.Load(); n != 0 {
		t.Fatalf("%d bells for public chatter", n)
	}
	mention := testMessage("status", 2, "Hard Tame Brownbutterfly", "hey Quiet Able Otter, look")
	mention.Mention = true
	fake.deliver("status", false, mention)
	row := h.waitScreen("!#status", "1")
	rows, styles := h.rows()
	col := strings.Index(rows[row], "!")
	if fg, _, _ := styles[row][col].Decompose(); fg != tcell.ColorRed {
		t.Fatalf("the ! mark is %v, want red", fg)
	}
	h.waitFor("the bell", func() bool { return h.beeps.Load() == 1 })
	h.waitFor("title with the mention", func() bool { return title() == "hush (2 unread, 1 !)" })

	// Alt+A goes to the mention before the older unread chat.
	h.alt('a')
	h.waitFor("status on screen", func() bool { return h.current() == "status" })
	row = h.waitScreen("hey Quiet Able Otter, look")
	rows, styles = h.rows()
	col = len([]rune(rows[row][:strings.Index(rows[row], "hey Quiet")]))
	if fg, _, attr := styles[row][col].Decompose(); fg != tcell.ColorYellow || attr&tcell.AttrBold == 0 {
		t.Fatalf("mention line style fg=%v attr=%v, want bold yellow", fg, attr)
	}
	plain := testMessage("status", 3, "carol", "an ordinary line")
	fake.deliver("status", false, plain)
	row = h.waitScreen("an ordinary line")
	rows, styles = h.rows()
	col = len([]rune(rows[row][:strings.Index(rows[row], "an ordinary")]))
	if fg, _, _ := styles[row][col].Decompose(); fg == tcell.ColorYellow {
		t.Fatal("an ordinary line is highlighted")
	}
	h.waitFor("title after reading", func() bool { return title() == "hush (1 unread)" })
	if rows, _ := h.rows(); rowWith(rows, "!#status") >= 0 {
		t.Fatal("the ! mark stayed after the chat was read")
	}
}

// TestWho lists the writers of the chat on screen, latest first.
func TestWho(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	h := startUI(t, fake, 100, 25)
	fake.deliver("status", false, testMessage("status", 1, "carol", "one"), testMessage("status", 2, "dave", "two"),
		testMessage("status", 3, "carol", "three"))
	h.waitScreen("three")
	h.enter("/who")
	first := h.waitScreen("2 people wrote the newest messages here")
	carol := h.waitScreen("carol", "last Tue 24 Nov 10:03", "(2 messages)")
	dave := h.waitScreen("dave", "last Tue 24 Nov 10:02", "(1 message)")
	if !(first < carol && carol < dave) {
		t.Fatalf("rows %d, %d, %d: want the header, then carol, then dave", first, carol, dave)
	}
}

func TestFirstWords(t *testing.T) {
	for _, c := range []struct {
		in, words, rest string
		ok              bool
	}{
		{"Hard Tame Brownbutterfly hello there", "Hard Tame Brownbutterfly", "hello there", true},
		{"Hard Tame Brownbutterfly", "Hard Tame Brownbutterfly", "", true},
		{"Hard  Tame Brownbutterfly  hi", "Hard  Tame Brownbutterfly", "hi", true},
		{"Hard Tame", "", "", false},
		{"", "", "", false},
	} {
		words, rest, ok := firstWords(c.in, 3)
		if words != c.words || rest != c.rest || ok != c.ok {
			t.Errorf("firstWords(%q) = %q, %q, %v", c.in, words, rest, ok)
		}
	}
}

// TestMsgByThreeWordNameNotOnScreen: /msg takes a three-word name the UI
// has not shown, when the session knows it.
func TestMsgByThreeWordNameNotOnScreen(t *testing.T) {
	peer := "0x04" + strings.Repeat("cd", 64)
	fake := newFakeSession(publicChat("status"), session.Chat{ID: peer, Kind: session.OneToOne, Name: "~Carla"})
	h := startUI(t, fake, 100, 25)
	h.waitScreen("@~Carla")
	fake.mu.Lock()
	fake.aliases = map[string]string{"Dark Blue Bubblefish": peer}
	fake.mu.Unlock()
	h.enter("/msg Dark Blue Bubblefish hello you")
	if calls := h.waitCalls("Send ", 1); calls[0] != "Send "+peer+" hello you" {
		t.Fatalf("Send calls %q", calls)
	}
}

// TestLongNameInChatList: a three-word name too long for the chat list
// keeps its animal: "@D. Blue Bubblefish".
func TestLongNameInChatList(t *testing.T) {
	peer := "0x04" + strings.Repeat("ef", 64)
	fake := newFakeSession(session.Chat{ID: peer, Kind: session.OneToOne, Name: "Darkorange Blue Bubblefish"})
	h := startUI(t, fake, 100, 25)
	h.waitScreen("@D. Blue Bubblefish")
}
