package ui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
)

// TestEndToEndMentionAndDisplayName runs a real UI over a real session
// beside a second hush on devp2p. The other writes our three-word name in
// #status while we look at another chat: #status gets a red "!", the bell
// rings, Alt+A goes there and the line is highlighted. Then the other sets
// its name with /name's call: our chat list and its lines show ~Alice, and
// our /nick wins over it.
func TestEndToEndMentionAndDisplayName(t *testing.T) {
	other := newRealClient(t)
	drain(t, other.mgr)
	me := newRealClient(t, other.node.Enode())
	waitConnected(t, me, other)
	if _, err := other.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	h := runUI(t, me.mgr, 120, 25)
	h.enter("/join status")
	h.waitScreen("#status")
	h.enter("/join elsewhere")
	h.waitFor("#elsewhere on screen", func() bool { return h.current() == "elsewhere" })

	myName := me.mgr.Self().Name
	if err := other.mgr.Send("status", "is "+strings.ToLower(myName)+" around?"); err != nil {
		t.Fatal(err)
	}
	row := h.waitScreen("!#status")
	rows, styles := h.rows()
	if fg, _, _ := styles[row][strings.Index(rows[row], "!")].Decompose(); fg != tcell.ColorRed {
		t.Fatalf("the mark is %v, want red", fg)
	}
	h.waitFor("the bell", func() bool { return h.beeps.Load() >= 1 })
	h.alt('a')
	h.waitFor("#status on screen", func() bool { return h.current() == "status" })
	row = h.waitScreen("is " + strings.ToLower(myName) + " around?")
	rows, styles = h.rows()
	col := len([]rune(rows[row][:strings.Index(rows[row], "is "+strings.ToLower(myName))]))
	if fg, _, attr := styles[row][col].Decompose(); fg != tcell.ColorYellow || attr&tcell.AttrBold == 0 {
		t.Fatalf("the line is fg=%v attr=%v, want bold yellow", fg, attr)
	}

	// A one-to-one chat makes the other a contact; its name then follows.
	theirs := other.mgr.Self()
	if _, err := other.mgr.OpenPrivate(me.mgr.Self().PublicKey); err != nil {
		t.Fatal(err)
	}
	if err := other.mgr.Send(me.mgr.Self().PublicKey, "hello in private"); err != nil {
		t.Fatal(err)
	}
	// The chat list may shorten a long name ("P. P. Apisdorsatala…"):
	// the start of its last word is always there.
	words := strings.Fields(theirs.Name)
	last := []rune(words[len(words)-1])
	h.waitScreen("@", string(last[:min(len(last), 6)]))
	h.enter("/msg " + theirs.PublicKey)
	h.waitScreen("hello in private")
	if err := other.mgr.SetDisplayName("Alice"); err != nil {
		t.Fatal(err)
	}
	h.waitScreen("@~Alice")
	h.waitScreen("~Alice hello in private")
	h.enter("/nick ally")
	h.waitScreen("@ally")
	h.waitScreen("ally hello in private")
	h.enter("/nick")
	h.waitScreen("~Alice hello in private")
}
