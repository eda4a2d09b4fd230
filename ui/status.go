package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"hush/session"
)

// statusLine is the row above the input: the chat on screen, who we are, the
// peer count, mailserver sync progress and, for a few seconds, a notice (red
// for errors). It never takes the keyboard.
type statusLine struct {
	*tview.Box
	u *UI
}

func newStatusLine(u *UI) *statusLine { return &statusLine{Box: tview.NewBox(), u: u} }

// statusPart is one piece of the status line.
type statusPart struct {
	text  string
	style tcell.Style
}

// parts lists what the status line shows, most important first.
func (s *statusLine) parts() []statusPart {
	u := s.u
	var parts []statusPart
	if i := u.currentIndex(); i >= 0 {
		parts = append(parts, statusPart{chatLabel(u.chats[i]), tcell.StyleDefault.Bold(true)})
		if e := u.chats[i].Encryption; e != "" {
			parts = append(parts, statusPart{lockMark(e), lockStyle(e)})
		}
	}
	if me := selfLabel(u.self); me != "" {
		parts = append(parts, statusPart{me, tcell.StyleDefault})
	}
	if u.peers == 0 {
		parts = append(parts, statusPart{"offline (0 peers)", stateStyle(session.Pending)})
	} else {
		parts = append(parts, statusPart{plural(u.peers, "peer"), tcell.StyleDefault})
	}
	if o := u.outbox; o.Pending > 0 {
		text := fmt.Sprintf("%d pending", o.Pending)
		if o.Reason != "" {
			text += ": " + sanitizeText(firstLine(o.Reason), false)
		}
		parts = append(parts, statusPart{text, stateStyle(session.Pending)})
	} else if o.Sending > 0 {
		parts = append(parts, statusPart{fmt.Sprintf("%d sending", o.Sending), styleDim()})
	}
	// A finished sync says nothing about now when no peer is connected:
	// only a running or failed one is shown then.
	if u.sync.text != "" && (u.peers > 0 || u.sync.failed || u.sync.running) {
		style := styleDim()
		if u.sync.failed {
			style = styleError()
		}
		parts = append(parts, statusPart{u.sync.text, style})
	}
	if !u.pane.follow && u.current != "" {
		parts = append(parts, statusPart{"-more-", tcell.StyleDefault.Reverse(true)})
	}
	return parts
}

// Draw implements tview.Primitive.
func (s *statusLine) Draw(screen tcell.Screen) {
	x, y, w, h := s.GetRect()
	if w <= 0 || h <= 0 {
		return
	}
	const sep = " │ "
	avail := w
	n := s.u.notice
	showNotice := n.text != "" && time.Now().Before(n.until)
	noticeWidth := 0
	if showNotice {
		// The notice comes first; the other parts get what it leaves.
		noticeWidth = min(textWidth(n.text), max(w/2, w-textWidth(sep)))
		avail = max(0, w-noticeWidth-textWidth(sep))
	}
	col := 0
	for i, part := range s.parts() {
		if i > 0 {
			col += drawText(screen, x+col, y, avail-col, sep, styleDim())
		}
		col += drawText(screen, x+col, y, avail-col, truncateText(part.text, avail-col), part.style)
	}
	if showNotice {
		style := tcell.StyleDefault
		if n.err {
			style = styleError().Bold(true)
		}
		if col > 0 {
			col += drawText(screen, x+col, y, w-col, sep, styleDim())
		}
		drawText(screen, x+col, y, w-col, truncateText(n.text, w-col), style)
	}
}

// syncState is the mailserver sync shown in the status line.
type syncState struct {
	text    string
	failed  bool
	running bool
}

// setSync turns a SyncProgress event into the status line's sync part:
// while a request runs, its chats and how many new messages came so far;
// then how many came in all, or why it failed.
func (u *UI) setSync(ev session.SyncProgress) {
	switch {
	case ev.Err != "":
		// The session's errors start with "history: " already.
		why := strings.TrimPrefix(firstLine(ev.Err), "history: ")
		u.sync = syncState{text: "history failed: " + sanitizeText(why, false), failed: true}
	case ev.Done:
		u.sync = syncState{text: "history: " + plural(ev.Messages, "message")}
	default:
		u.sync = syncState{text: "history " + u.chatNames(ev.ChatIDs) + ": " +
			plural(ev.Messages, "message") + " (" + plural(ev.Pages, "page") + ")…", running: true}
	}
}

// selfLabel is who we are in the status line: the name we gave ourselves
// (as others see it, with ~), else the three-word name others see for us
// (and can mention us by), else the short key.
func selfLabel(self session.Identity) string {
	if self.DisplayName != "" {
		return "~" + sanitizeText(self.DisplayName, false)
	}
	if self.Name != "" {
		return sanitizeText(self.Name, false)
	}
	return sanitizeText(self.ShortName, false)
}

// lockMark is the end-to-end encryption indicator of a one-to-one chat:
// "PFS" (double ratchet), "DH" or "plain" (only the transport's ECIES to
// the peer's key).
func lockMark(enc string) string { return "lock: " + sanitizeText(enc, false) }

func lockStyle(enc string) tcell.Style {
	switch enc {
	case "PFS":
		return tcell.StyleDefault.Foreground(tcell.ColorGreen)
	case "DH":
		return tcell.StyleDefault.Foreground(tcell.ColorYellow)
	}
	return styleDim()
}
