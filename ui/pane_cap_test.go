package ui

import (
	"fmt"
	"strings"
	"testing"

	"hush/session"
)

// TestLongMessageCollapsed: a message of 20,000 lines takes maxMessageRows
// rows, the last of them saying how many more lines it has; the message
// after it stays on screen.
func TestLongMessageCollapsed(t *testing.T) {
	fake := newFakeSession(publicChat("alpha"))
	h := startUI(t, fake, 80, 40)
	h.waitFor("alpha on screen", func() bool { return h.current() == "alpha" })
	lines := make([]string, 20000)
	for i := range lines {
		lines[i] = "."
		if i < 40 {
			lines[i] = fmt.Sprintf("row %d", i+1)
		}
	}
	long := testMessage("alpha", 1, "mallory", strings.Join(lines, "\n"))
	fake.deliver("alpha", false, long, testMessage("alpha", 2, "alice", "after the flood"))
	h.waitScreen("… 19971 more lines")
	for _, want := range []string{"mallory row 1", "row 29", "alice after the flood"} {
		if !strings.Contains(h.screenText(), want) {
			t.Fatalf("%q is not on screen:\n%s", want, h.screenText())
		}
	}
	if strings.Contains(h.screenText(), "row 30") {
		t.Fatal("row 30 is shown")
	}
	rows := 0
	h.onLoop(func() {
		for _, it := range h.ui.pane.items {
			if it.msg.ID == long.ID {
				rows = len(it.lines)
			}
		}
	})
	if rows != maxMessageRows {
		t.Fatalf("the long message lays out as %d rows, want %d", rows, maxMessageRows)
	}
	// Our own long message keeps its state suffix after the marker.
	mine := testMessage("alpha", 3, "me", strings.TrimSuffix(strings.Repeat("mine\n", 100), "\n"))
	mine.Outgoing, mine.State, mine.Sender = true, session.Failed, fakeSelfKey
	fake.deliver("alpha", false, mine)
	h.waitScreen("… 71 more lines ✗ (/resend)")
}
