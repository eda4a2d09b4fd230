package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"hush/session"
)

// splitRow splits a screen row into the chat list part and the pane part at
// the list's separator.
func splitRow(row string) (list, pane string) {
	if i := strings.Index(row, "│"); i >= 0 {
		return row[:i], row[i+len("│"):]
	}
	return "", row
}

// syncKeys waits until every key injected so far has been handled, by typing
// a marker and waiting for it in the input, then clearing it.
func (h *harness) syncKeys() {
	h.t.Helper()
	h.typeText("¶")
	h.waitFor("marker key to reach the input", func() bool { return strings.HasSuffix(h.inputText(), "¶") })
	h.press(tcell.KeyCtrlC, tcell.ModCtrl)
	h.waitFor("input to clear", func() bool { return h.inputText() == "" })
}

// postEvent posts a non-key event, retrying while the 10-event queue is full.
func (h *harness) postEvent(ev tcell.Event) {
	h.t.Helper()
	h.waitFor("room in the event queue", func() bool { return h.screen.PostEvent(ev) == nil })
}

func TestJoinCommandJoinsAndListsChat(t *testing.T) {
	h := startUI(t, newFakeSession(), 80, 25)
	h.enter("/join status")
	if calls := h.waitCalls("JoinPublic", 1); calls[0] != "JoinPublic status" {
		t.Fatalf("JoinPublic calls = %q", calls)
	}
	row := h.waitScreen("#status", "│")
	rows, _ := h.rows()
	if list, _ := splitRow(rows[row]); strings.TrimSpace(list) != "#status" {
		t.Fatalf("list row = %q, want #status", list)
	}
	if !strings.Contains(rows[23], "#status") {
		t.Fatalf("status line = %q, want the chat name", rows[23])
	}
	if got := h.current(); got != "status" {
		t.Fatalf("chat on screen = %q, want status", got)
	}
}

func TestEnterSendsToChatOnScreenAndShowsState(t *testing.T) {
	fake := newFakeSession(publicChat("status"), publicChat("other"))
	h := startUI(t, fake, 80, 25)
	h.enter("hello there")
	if calls := h.waitCalls("Send ", 1); calls[0] != "Send status hello there" {
		t.Fatalf("Send calls = %q", calls)
	}
	h.waitScreen(fake.self.ShortName, "hello there …")
	if got := h.inputText(); got != "" {
		t.Fatalf("input after Enter = %q, want empty", got)
	}

	fake.events <- session.MessageStateChanged{ChatID: "status", ID: "0xsent0001", State: session.Failed}
	row := h.waitScreen("hello there ✗ (/resend)")
	_, styles := h.rows()
	rows, _ := h.rows()
	col := len([]rune(rows[row][:strings.Index(rows[row], "✗")]))
	if fg, _, _ := styles[row][col].Decompose(); fg != tcell.ColorRed {
		t.Fatalf("failed mark colour = %v, want red", fg)
	}
	h.enter("/resend")
	if calls := h.waitCalls("Resend", 1); calls[0] != "Resend status 0xsent0001" {
		t.Fatalf("Resend calls = %q", calls)
	}

	fake.events <- session.MessageStateChanged{ChatID: "status", ID: "0xsent0001", State: session.Sent}
	h.waitFor("the failed mark to turn into the sent one", func() bool {
		rows, _ := h.rows()
		i := rowWith(rows, "hello there")
		return i >= 0 && strings.TrimSpace(rows[i][strings.Index(rows[i], "hello there"):]) == "hello there ✓"
	})
}

func TestIncomingMessageShowsSenderTextAndDay(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	h := startUI(t, fake, 80, 25)
	fake.deliver("status", false, testMessage("status", 1, "alice", "hi from alice"))
	msgRow := h.waitScreen("10:01", "alice", "hi from alice")
	dayRow := h.waitScreen("— Tue 24 Nov 2026 —")
	if dayRow != msgRow-1 {
		t.Fatalf("day line on row %d, message on row %d", dayRow, msgRow)
	}
	// Same minute: no time; next minute: time again.
	second := testMessage("status", 1, "bob", "same minute")
	second.ID, second.Clock = "0xsame", 15
	fake.deliver("status", false, second, testMessage("status", 2, "alice", "next minute"))
	row := h.waitScreen("bob", "same minute")
	rows, _ := h.rows()
	if _, pane := splitRow(rows[row]); strings.Contains(pane, "10:01") {
		t.Fatalf("time repeated within the minute: %q", pane)
	}
	h.waitScreen("10:02", "alice", "next minute")
	h.waitCalls("MarkRead status", 2)
}

func TestBurstOfEventsIsBatchedIntoFewDraws(t *testing.T) {
	names := []string{"status", "c1", "c2", "c3", "c4"}
	var chats []session.Chat
	for _, n := range names {
		chats = append(chats, publicChat(n))
	}
	fake := newFakeSession(chats...)
	h := startUI(t, fake, 80, 25)
	h.waitScreen("#c4")
	before := h.draws.Load()

	const events = 1000
	for i := range events {
		chat := names[i%len(names)]
		fake.deliver(chat, false, testMessage(chat, i, "bob", fmt.Sprintf("burst %d", i)))
	}
	h.waitScreen("bob", "burst 995")
	row := h.waitScreen("#c1", "200")
	rows, _ := h.rows()
	if list, _ := splitRow(rows[row]); !strings.HasSuffix(strings.TrimSpace(list), "200") {
		t.Fatalf("list row = %q, want 200 unread", list)
	}
	draws := h.draws.Load() - before
	t.Logf("%d events (plus chat list updates) drawn in %d frames", events, draws)
	if draws > events/10 {
		t.Fatalf("%d draws for %d events; want batching", draws, events)
	}
}

func TestUnreadCountsShownAndClearedOnSwitch(t *testing.T) {
	fake := newFakeSession(publicChat("alpha"), publicChat("beta"))
	fake.preload("alpha", testMessage("alpha", 1, "dave", "old news"))
	fake.preload("beta", testMessage("beta", 1, "carol", "already read"))
	h := startUI(t, fake, 80, 25)
	h.waitScreen("old news")
	fake.deliver("beta", false,
		testMessage("beta", 2, "carol", "one"),
		testMessage("beta", 3, "carol", "two"),
		testMessage("beta", 4, "carol", "three"))
	row := h.waitScreen("#beta", "3", "│")
	rows, styles := h.rows()
	if list, _ := splitRow(rows[row]); strings.Join(strings.Fields(list), " ") != "#beta 3" {
		t.Fatalf("list row = %q, want #beta with 3 unread", list)
	}
	if _, _, attrs := styles[row][1].Decompose(); attrs&tcell.AttrBold == 0 {
		t.Fatal("chat with unread messages is not bold")
	}

	h.press(tcell.KeyCtrlN, tcell.ModCtrl)
	h.waitFor("beta on screen", func() bool { return h.current() == "beta" })
	ruler := h.waitScreen("new messages")
	first := h.waitScreen("carol", "one")
	read := h.waitScreen("already read")
	if !(read < ruler && ruler < first) {
		t.Fatalf("ruler on row %d; want between %d (read) and %d (unread)", ruler, read, first)
	}
	h.waitFor("beta's count to clear", func() bool {
		rows, _ := h.rows()
		list, _ := splitRow(rows[row])
		return strings.TrimSpace(list) == "#beta"
	})
	h.waitCalls("MarkRead beta", 1)
}

func TestChatSwitchingKeys(t *testing.T) {
	fake := newFakeSession(publicChat("a"), publicChat("b"), publicChat("c"))
	for _, n := range []string{"a", "b", "c"} {
		fake.preload(n, testMessage(n, 1, "eve", "inside "+n))
	}
	h := startUI(t, fake, 80, 25)
	expect := func(id string) {
		t.Helper()
		h.waitFor("chat "+id+" on screen", func() bool { return h.current() == id })
		h.waitScreen("inside " + id)
	}
	expect("a")
	steps := []struct {
		key  tcell.Key
		r    rune
		mod  tcell.ModMask
		want string
	}{
		{tcell.KeyCtrlN, 0, tcell.ModCtrl, "b"},
		{tcell.KeyCtrlN, 0, tcell.ModCtrl, "c"},
		{tcell.KeyCtrlN, 0, tcell.ModCtrl, "a"}, // wraps
		{tcell.KeyCtrlP, 0, tcell.ModCtrl, "c"}, // wraps back
		{tcell.KeyUp, 0, tcell.ModAlt, "b"},
		{tcell.KeyDown, 0, tcell.ModAlt, "c"},
		{tcell.KeyRune, '1', tcell.ModAlt, "a"},
		{tcell.KeyRune, '3', tcell.ModAlt, "c"},
	}
	for _, s := range steps {
		h.screen.InjectKey(s.key, s.r, s.mod)
		expect(s.want)
	}
	fake.deliver("b", false, testMessage("b", 2, "eve", "ping for b"))
	h.waitScreen("#b", "1", "│")
	h.alt('a')
	expect("b")
	h.waitScreen("ping for b")
}

func TestHistoryInsertedWhileScrolledUpKeepsView(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	for n := 1; n <= 300; n++ {
		fake.preload("status", testMessage("status", n, "frank", fmt.Sprintf("msg %04d", n)))
	}
	h := startUI(t, fake, 80, 25)
	h.waitScreen("msg 0300")
	for range 4 {
		h.press(tcell.KeyPgUp, tcell.ModNone)
	}
	h.waitScreen("-more-")
	h.syncKeys()
	paneRows := func() []string {
		rows, _ := h.rows()
		var out []string
		for _, r := range rows[:23] {
			_, pane := splitRow(r)
			out = append(out, pane)
		}
		return out
	}
	before := paneRows()
	if rowWith(before, "msg 0300") >= 0 || rowWith(before, "msg 0250") < 0 {
		t.Fatalf("not scrolled up as expected:\n%s", strings.Join(before, "\n"))
	}

	applied := func(id string) func() bool {
		return func() bool {
			var ok bool
			h.onLoop(func() { _, ok = h.ui.pane.ids[id] })
			return ok
		}
	}
	// Above the view: nothing on screen moves.
	above := testMessage("status", 150, "grace", "inserted above")
	above.ID, above.Clock = "0xabove", 150*10+5
	fake.deliver("status", true, above)
	h.waitFor("history message in the window", applied("0xabove"))
	if after := paneRows(); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Fatalf("view moved after an insert above it:\nbefore:\n%s\nafter:\n%s",
			strings.Join(before, "\n"), strings.Join(after, "\n"))
	}

	// Inside the view: it shows up in order, the top row stays.
	middle := rowWith(before, "msg ")
	var n int
	fmt.Sscanf(before[middle+10][strings.Index(before[middle+10], "msg "):], "msg %d", &n)
	inView := testMessage("status", n, "grace", "inserted in view")
	inView.ID, inView.Clock = "0xinview", int64(n)*10+5
	fake.deliver("status", true, inView)
	h.waitFor("in-view message in the window", applied("0xinview"))
	after := paneRows()
	if after[0] != before[0] {
		t.Fatalf("top row changed from %q to %q", before[0], after[0])
	}
	at := rowWith(after, "inserted in view")
	if at < 0 || !strings.Contains(after[at-1], fmt.Sprintf("msg %04d", n)) {
		t.Fatalf("inserted message not right after msg %04d:\n%s", n, strings.Join(after, "\n"))
	}

	// Live message at the end while scrolled up: still no jump; End returns.
	fake.deliver("status", false, testMessage("status", 301, "frank", "msg 0301"))
	h.waitFor("live message in the window", applied(testMessage("status", 301, "", "").ID))
	if now := paneRows(); now[0] != before[0] {
		t.Fatalf("top row changed after a live message: %q", now[0])
	}
	h.press(tcell.KeyEnd, tcell.ModNone)
	h.waitScreen("msg 0301")
	h.waitFor("-more- to go", func() bool { return !strings.Contains(h.screenText(), "-more-") })
}

func TestScrollingToTopLoadsOlderThenAsksMailserverOnce(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	for n := 1; n <= 250; n++ {
		fake.preload("status", testMessage("status", n, "frank", fmt.Sprintf("msg %04d", n)))
	}
	h := startUI(t, fake, 80, 25)
	h.waitScreen("msg 0250")
	for range 30 {
		h.press(tcell.KeyPgUp, tcell.ModNone)
	}
	h.waitScreen("msg 0001")
	if calls := h.waitCalls("Before status", 1); !strings.HasPrefix(calls[0], "Before status 0xstatus000051 ") {
		t.Fatalf("Before calls = %q", calls)
	}
	h.waitCalls("RequestHistory", 1)
	for range 5 {
		h.press(tcell.KeyPgUp, tcell.ModNone)
	}
	h.syncKeys()
	if calls := h.fake.callsWith("RequestHistory"); len(calls) != 1 || calls[0] != "RequestHistory status 24h0m0s" {
		t.Fatalf("RequestHistory calls = %q, want one for 24h", calls)
	}
	// PgDn all the way returns to the newest message.
	for range 30 {
		h.press(tcell.KeyPgDn, tcell.ModNone)
	}
	h.waitScreen("msg 0250")
}

func TestErrorsAreOneRedLine(t *testing.T) {
	h := startUI(t, newFakeSession(), 80, 25)
	expectRed := func(text string) {
		t.Helper()
		row := h.waitScreen(text)
		if row != 23 {
			t.Fatalf("%q on row %d, want the status line", text, row)
		}
		rows, styles := h.rows()
		col := len([]rune(rows[row][:strings.Index(rows[row], text)]))
		if fg, _, _ := styles[row][col].Decompose(); fg != tcell.ColorRed {
			t.Fatalf("%q has colour %v, want red", text, fg)
		}
	}
	h.enter("hello")
	expectRed("join a chat first: /join #name")
	h.enter("/frobnicate now")
	expectRed("unknown command /frobnicate (try /help)")
	h.enter("/join")
	expectRed("usage: /join #name")
	h.enter("/join Not Valid")
	expectRed("usage: /join #name")
	h.enter("/join BAD!")
	expectRed("chat names use a-z, 0-9 and -")
	h.enter("/history soon")
	expectRed(`want a duration like 90m, 24h or 7d, not "soon"`)
	if calls := h.fake.callsWith("Send"); len(calls) != 0 {
		t.Fatalf("Send called without a chat: %q", calls)
	}
	// Still alive and working.
	h.enter("/join ok")
	h.waitFor("ok on screen", func() bool { return h.current() == "ok" })
}

func TestTinyTerminalsDoNotPanic(t *testing.T) {
	fake := newFakeSession(publicChat("status"), publicChat("other"))
	for n := 1; n <= 30; n++ {
		fake.preload("status", testMessage("status", n, "heidi", fmt.Sprintf("a fairly long line of text number %d with 👍 emoji", n)))
	}
	h := startUI(t, fake, 80, 25)
	h.waitScreen("number 30")
	sizes := [][2]int{{1, 25}, {80, 0}, {2, 2}, {1, 1}, {0, 0}, {3, 1}, {12, 3}, {25, 4}, {40, 6}}
	for i, size := range sizes {
		h.resize(size[0], size[1])
		h.typeText("x")
		h.press(tcell.KeyEnter, tcell.ModAlt)
		h.typeText("y")
		h.press(tcell.KeyPgUp, tcell.ModNone)
		h.press(tcell.KeyCtrlN, tcell.ModCtrl)
		fake.deliver("other", false, testMessage("other", i, "ivan", "while tiny"))
		fake.deliver("status", false, testMessage("status", 100+i, "ivan", "while tiny"))
		h.press(tcell.KeyCtrlP, tcell.ModCtrl)
		h.press(tcell.KeyEnter, tcell.ModNone)
		h.syncKeys()
	}
	h.resize(80, 25)
	h.waitScreen("#status")
	if calls := h.waitCalls("Send ", len(sizes)); calls[0] != "Send status x\ny" {
		t.Fatalf("Send calls = %q", calls)
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	// Tall enough for the whole list (the group commands made it longer).
	h := startUI(t, newFakeSession(publicChat("status")), 80, 60)
	h.enter("/help")
	var commands []command
	h.onLoop(func() { commands = h.ui.commands })
	if len(commands) < 11 {
		t.Fatalf("only %d commands in the table", len(commands))
	}
	for _, c := range commands {
		h.waitScreen(c.synopsis(), strings.Fields(c.help)[0])
	}
	h.enter("/help msg")
	h.waitScreen("/msg 0x04…|name [text] — open a one-to-one chat")
	h.enter("/help nosuch")
	h.waitScreen("no command /nosuch (try /help)")
}

func TestPanicRestoresTerminalAndWritesTrace(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	fake.panicOnJoin = "boom"
	h := startUI(t, fake, 80, 25)
	h.enter("/join boom")
	err := h.wait()
	if err == nil {
		t.Fatal("Run returned nil after a panic")
	}
	msg := err.Error()
	i := strings.Index(msg, "trace written to ")
	if i < 0 {
		t.Fatalf("error does not name the trace file: %v", err)
	}
	path := strings.TrimSuffix(msg[i+len("trace written to "):], ")")
	if filepath.Dir(path) != h.dir || !strings.HasPrefix(filepath.Base(path), "hush-panic-") {
		t.Fatalf("trace file %q not hush-panic-* in %q", path, h.dir)
	}
	trace, readErr := os.ReadFile(path)
	if readErr != nil {
		t.Fatalf("read trace: %v", readErr)
	}
	for _, want := range []string{"panic: fake session: join boom", "(*fakeSession).JoinPublic", "goroutine "} {
		if !strings.Contains(string(trace), want) {
			t.Errorf("trace lacks %q:\n%s", want, trace)
		}
	}
	// The simulation screen was finalised: it reports no size any more.
	if w, ht := h.screen.Size(); w != 0 || ht != 0 {
		t.Errorf("screen still %dx%d after the panic; want finalised", w, ht)
	}
}

func TestMultiLineInputAndPaste(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	h := startUI(t, fake, 80, 25)
	h.typeText("line one")
	h.press(tcell.KeyEnter, tcell.ModAlt)
	h.typeText("line two")
	h.waitFor("two-line input", func() bool { return h.inputText() == "line one\nline two" })
	one, two := h.waitScreen("line one"), h.waitScreen("line two")
	if one != 23 || two != 24 {
		t.Fatalf("input rows %d and %d, want 23 and 24 (input grew, status above)", one, two)
	}
	h.press(tcell.KeyEnter, tcell.ModNone)
	if calls := h.waitCalls("Send ", 1); calls[0] != "Send status line one\nline two" {
		t.Fatalf("Send calls = %q", calls)
	}

	var pasted strings.Builder
	for i := range 40 {
		fmt.Fprintf(&pasted, "pasted line %02d with some filler text to make it long\n", i)
	}
	want := strings.TrimSuffix(pasted.String(), "\n")
	h.postEvent(tcell.NewEventPaste(true))
	for _, r := range want {
		if r == '\n' {
			h.press(tcell.KeyEnter, tcell.ModNone) // inside a paste: a newline, not send
			continue
		}
		h.screen.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
	h.postEvent(tcell.NewEventPaste(false))
	h.waitFor("pasted text in the input", func() bool { return h.inputText() == want })
	if calls := h.fake.callsWith("Send "); len(calls) != 1 {
		t.Fatalf("paste sent something: %q", calls)
	}
	h.press(tcell.KeyEnter, tcell.ModNone)
	if calls := h.waitCalls("Send ", 2); calls[1] != "Send status "+want {
		t.Fatalf("pasted text sent as %q", calls[1])
	}
}

func TestRecallCompletionAndCtrlC(t *testing.T) {
	fake := newFakeSession(publicChat("status"), publicChat("stuff"))
	h := startUI(t, fake, 80, 25)
	fake.deliver("status", false, testMessage("status", 1, "alice", "hi"))
	h.waitScreen("alice", "hi")

	h.enter("first")
	h.enter("second")
	h.waitCalls("Send ", 2)
	h.typeText("draft")
	for _, step := range []struct {
		key  tcell.Key
		want string
	}{{tcell.KeyUp, "second"}, {tcell.KeyUp, "first"}, {tcell.KeyUp, "first"}, {tcell.KeyDown, "second"}, {tcell.KeyDown, "draft"}} {
		h.press(step.key, tcell.ModNone)
		h.waitFor("recall "+step.want, func() bool { return h.inputText() == step.want })
	}
	h.press(tcell.KeyCtrlC, tcell.ModCtrl)
	h.waitFor("input cleared", func() bool { return h.inputText() == "" })
	h.press(tcell.KeyCtrlC, tcell.ModCtrl)
	h.waitScreen("type /quit to leave")

	h.typeText("/jo")
	h.press(tcell.KeyTab, tcell.ModNone)
	h.waitFor("command completed", func() bool { return h.inputText() == "/join " })
	h.typeText("#st")
	h.press(tcell.KeyTab, tcell.ModNone)
	h.waitFor("first chat name", func() bool { return h.inputText() == "/join #status" })
	h.press(tcell.KeyTab, tcell.ModNone)
	h.waitFor("second chat name", func() bool { return h.inputText() == "/join #stuff" })
	h.press(tcell.KeyCtrlC, tcell.ModCtrl)
	h.typeText("al")
	h.press(tcell.KeyTab, tcell.ModNone)
	h.waitFor("nick completed", func() bool { return h.inputText() == "alice: " })
}

func TestWhoamiMsgNickAndQuit(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	h := startUI(t, fake, 80, 25)
	h.enter("/whoami")
	h.waitScreen("You are Quiet Able Otter")
	key := fake.self.PublicKey
	keyRow := h.waitScreen(key[:40])
	rows, _ := h.rows()
	// Full width from column 0, no chat-list gutter: the rows are the key
	// and nothing else, so a terminal selection copies it whole.
	if got := rows[keyRow] + strings.TrimRight(rows[keyRow+1], " "); got != key {
		t.Fatalf("key rows read %q, want the bare key %q", got, key)
	}
	h.waitScreen(fake.self.Enode)
	h.waitScreen("Installation " + fake.self.Installation)
	if got := string(h.screen.GetClipboardData()); got != key {
		t.Fatalf("clipboard holds %q, want the key", got)
	}
	// Wide enough: the key is one row.
	h.resize(140, 25)
	h.waitFor("the key on one row", func() bool {
		rows, _ := h.rows()
		return slices.ContainsFunc(rows, func(r string) bool { return strings.TrimRight(r, " ") == key })
	})
	h.resize(80, 25)
	h.press(tcell.KeyEscape, tcell.ModNone)
	h.waitScreen("#status", "│")

	h.enter("/nick Zed")
	h.waitScreen("/nick works in a one-to-one chat")

	peer := "0x04" + strings.Repeat("cd", 64)
	h.enter("/msg " + peer + " hello peer")
	if calls := h.waitCalls("OpenPrivate", 1); calls[0] != "OpenPrivate "+peer {
		t.Fatalf("OpenPrivate calls = %q", calls)
	}
	if calls := h.waitCalls("Send ", 1); calls[0] != "Send "+peer+" hello peer" {
		t.Fatalf("Send calls = %q", calls)
	}
	h.waitScreen("@"+shortKey(peer), "│")
	h.enter("/nick Zed Zedson")
	if calls := h.waitCalls("SetNickname", 1); calls[0] != "SetNickname "+peer+" Zed Zedson" {
		t.Fatalf("SetNickname calls = %q", calls)
	}

	h.enter("/quit")
	if err := h.wait(); err != nil {
		t.Fatalf("Run after /quit: %v", err)
	}
	helpersDone := make(chan struct{})
	go func() {
		h.ui.workers.Wait()
		close(helpersDone)
	}()
	select {
	case <-helpersDone:
	case <-time.After(waitLimit):
		t.Fatal("pump and redraw goroutines still running after Run returned")
	}
}

func TestStatusLineShowsPeersSyncAndNotices(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	h := startUI(t, fake, 100, 25)
	h.waitScreen("#status", fake.self.Name, "3 peers")
	fake.events <- session.PeersChanged{Count: 7}
	fake.events <- session.SyncProgress{ChatIDs: []string{"status"}, Pages: 3, Messages: 1200}
	h.waitScreen("7 peers", "history #status: 1200 messages (3 pages)…")
	fake.events <- session.SyncProgress{ChatIDs: []string{"status"}, Pages: 4, Messages: 1300, Done: true}
	h.waitScreen("7 peers", "history: 1300 messages")
	fake.events <- session.SyncProgress{ChatIDs: []string{"status"}, Err: "mailserver timed out"}
	h.waitScreen("history failed: mailserver timed out")
	fake.events <- session.Notice{Text: "key rotated\nsecond line", Err: false}
	h.waitScreen("key rotated")
	if strings.Contains(h.screenText(), "second line") {
		t.Fatal("notice showed more than one line")
	}
}

func TestStopBeforeRunAndRunTwice(t *testing.T) {
	u := New(Config{Session: newFakeSession(), Screen: tcell.NewSimulationScreen("UTF-8")})
	u.Stop()
	done := make(chan error, 1)
	go func() { done <- u.Run() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after Stop: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return after an earlier Stop")
	}
	if err := u.Run(); err == nil {
		t.Fatal("second Run returned nil")
	}
	if err := New(Config{Screen: tcell.NewSimulationScreen("")}).Run(); err == nil {
		t.Fatal("Run without a session returned nil")
	}
}

// TestBellForPrivateMessagesOffScreen: a live private message in a chat not
// on screen rings the bell; public chatter and history do not.
func TestBellForPrivateMessagesOffScreen(t *testing.T) {
	bob := session.Chat{ID: "0x04b0b", Kind: session.OneToOne, Name: "bob"}
	fake := newFakeSession(publicChat("alpha"), publicChat("beta"), bob)
	h := startUI(t, fake, 80, 25)
	h.waitFor("alpha on screen", func() bool { return h.current() == "alpha" })

	fake.deliver("beta", false, testMessage("beta", 1, "carol", "public chatter"))
	fake.deliver(bob.ID, true, testMessage(bob.ID, 1, "bob", "old private line"))
	h.waitScreen("@bob", "1")
	h.waitScreen("#beta", "1")
	if n := h.beeps.Load(); n != 0 {
		t.Fatalf("%d bells for public and history messages", n)
	}
	fake.deliver(bob.ID, false, testMessage(bob.ID, 2, "bob", "are you there?"))
	h.waitFor("the bell", func() bool { return h.beeps.Load() == 1 })

	// On screen, the message is simply shown.
	h.press(tcell.KeyCtrlP, tcell.ModCtrl)
	h.waitFor("bob on screen", func() bool { return h.current() == bob.ID })
	fake.deliver(bob.ID, false, testMessage(bob.ID, 3, "bob", "hello?"))
	h.waitScreen("hello?")
	if n := h.beeps.Load(); n != 1 {
		t.Fatalf("%d bells; a message in the chat on screen must not ring", n)
	}
}
