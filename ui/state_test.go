package ui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"hush/session"
)

// ownMessage is one of our lines in a given delivery state.
func ownMessage(chatID string, n int, text string, st session.MessageState) session.Message {
	m := testMessage(chatID, n, "me", text)
	m.Sender, m.SenderName, m.Outgoing, m.State = fakeSelfKey, shortKey(fakeSelfKey), true, st
	return m
}

// markOf returns what a row shows after text, and the colour of its first
// cell.
func markOf(t *testing.T, h *harness, text string) (string, tcell.Color) {
	t.Helper()
	row := h.waitScreen(text)
	rows, styles := h.rows()
	line := rows[row]
	at := strings.Index(line, text) + len(text)
	mark := strings.TrimSpace(line[at:])
	if mark == "" {
		return "", tcell.ColorDefault
	}
	col := len([]rune(line[:at])) + 1 // the mark follows one space
	fg, _, _ := styles[row][col].Decompose()
	return mark, fg
}

// TestOwnLinesShowEveryState: each delivery state of our lines has its own
// mark or colour; someone else's line has none; a state change redraws the
// mark; /resend takes the newest failed or pending line.
func TestOwnLinesShowEveryState(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	fake.preload("status",
		ownMessage("status", 1, "line pending", session.Pending),
		ownMessage("status", 2, "line sending", session.Sending),
		ownMessage("status", 3, "line sent", session.Sent),
		ownMessage("status", 4, "line stored", session.Stored),
		ownMessage("status", 5, "line failed", session.Failed),
		testMessage("status", 6, "bob", "line from bob"),
	)
	h := startUI(t, fake, 100, 25)
	h.enter("/join status")

	type look struct {
		mark string
		fg   tcell.Color
	}
	want := map[string]look{
		"line pending": {"…", tcell.ColorYellow},
		"line sending": {"…", tcell.ColorGray},
		"line sent":    {"✓", tcell.ColorGray},
		"line stored":  {"✓✓", tcell.ColorGray},
		"line failed":  {"✗ (/resend)", tcell.ColorRed},
	}
	seen := map[look]string{}
	for text, w := range want {
		mark, fg := markOf(t, h, text)
		if (look{mark, fg}) != w {
			t.Errorf("%q shows %q in %v, want %q in %v", text, mark, fg, w.mark, w.fg)
		}
		if other, dup := seen[look{mark, fg}]; dup {
			t.Errorf("%q looks like %q", text, other)
		}
		seen[look{mark, fg}] = text
	}
	if mark, _ := markOf(t, h, "line from bob"); mark != "" {
		t.Errorf("someone else's line shows %q", mark)
	}

	fake.events <- session.MessageStateChanged{ChatID: "status", ID: testMessage("status", 2, "", "").ID, State: session.Stored}
	h.waitFor("sending to turn stored", func() bool {
		mark, _ := markOf(t, h, "line sending")
		return mark == "✓✓"
	})

	h.enter("/resend")
	if calls := h.waitCalls("Resend", 1); calls[0] != "Resend status "+testMessage("status", 5, "", "").ID {
		t.Fatalf("Resend calls = %q, want the failed line", calls)
	}
	fake.events <- session.MessageStateChanged{ChatID: "status", ID: testMessage("status", 5, "", "").ID, State: session.Sending}
	h.waitFor("failed to turn sending", func() bool {
		mark, _ := markOf(t, h, "line failed")
		return mark == "…"
	})
	h.enter("/resend")
	if calls := h.waitCalls("Resend", 2); calls[1] != "Resend status "+testMessage("status", 1, "", "").ID {
		t.Fatalf("Resend calls = %q, want the pending line second", calls)
	}
}

// TestStatusLineShowsPendingAndWhy: the status line counts our waiting
// lines and says why they wait, then lets go of it once they are out.
func TestStatusLineShowsPendingAndWhy(t *testing.T) {
	fake := newFakeSession(publicChat("status"))
	h := startUI(t, fake, 100, 25)
	h.waitScreen("3 peers")
	fake.events <- session.PeersChanged{Count: 0}
	fake.events <- session.OutboxChanged{Pending: 2, Reason: "no peers"}
	row := h.waitScreen("0 peers", "2 pending: no peers")
	rows, styles := h.rows()
	col := len([]rune(rows[row][:strings.Index(rows[row], "2 pending")]))
	if fg, _, _ := styles[row][col].Decompose(); fg != tcell.ColorYellow {
		t.Fatalf("pending count colour = %v, want yellow", fg)
	}
	fake.events <- session.PeersChanged{Count: 1}
	fake.events <- session.OutboxChanged{Sending: 2}
	h.waitScreen("1 peer", "2 sending")
	if strings.Contains(h.screenText(), "pending") {
		t.Fatal("pending still shown")
	}
	fake.events <- session.OutboxChanged{}
	h.waitFor("the outbox part to go", func() bool { return !strings.Contains(h.screenText(), "sending") })
}
