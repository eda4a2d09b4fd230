package ui

import (
	"strconv"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"hush/session"
)

// chatList is the column of chats on the left: #public and @one-to-one, with
// unread counts, bold when something is new, "!" when we were mentioned and
// "+" for a chat someone new opened with us.
type chatList struct {
	*tview.Box
	u      *UI
	offset int // index of the first chat shown
}

func newChatList(u *UI) *chatList { return &chatList{Box: tview.NewBox(), u: u} }

// preferredWidth is how wide the list would like to be.
func (l *chatList) preferredWidth() int {
	widest := 0
	for _, c := range l.u.chats {
		widest = max(widest, textWidth(chatLabel(c)))
	}
	return max(12, min(widest+6, 24))
}

// Draw implements tview.Primitive.
func (l *chatList) Draw(screen tcell.Screen) {
	x, y, w, h := l.GetRect()
	if w <= 0 || h <= 0 {
		return
	}
	chats := l.u.chats
	if cur := l.u.currentIndex(); cur >= 0 {
		if cur < l.offset {
			l.offset = cur
		} else if cur >= l.offset+h {
			l.offset = cur - h + 1
		}
	}
	l.offset = max(0, min(l.offset, len(chats)-h))
	for row := 0; row < h && l.offset+row < len(chats); row++ {
		c := chats[l.offset+row]
		l.drawRow(screen, x, y+row, w, c, c.ID == l.u.current)
	}
}

// drawRow draws one chat: mark, label, unread count.
func (l *chatList) drawRow(screen tcell.Screen, x, y, w int, c session.Chat, selected bool) {
	style := tcell.StyleDefault
	if c.Unread > 0 || c.Mention || c.New {
		style = style.Bold(true)
	}
	if selected {
		style = style.Reverse(true)
	}
	fillRow(screen, x, y, w, style)

	mark, markStyle := " ", style
	switch {
	case c.Mention:
		mark, markStyle = "!", style.Foreground(tcell.ColorRed)
	case c.New:
		mark, markStyle = "+", style.Foreground(tcell.ColorGreen)
	}
	drawText(screen, x, y, w, mark, markStyle)

	count := ""
	if c.Unread > 0 && !selected {
		count = strconv.Itoa(c.Unread)
		if c.Unread > 999 {
			count = "999+"
		}
	}
	labelWidth := w - 1
	if count != "" {
		labelWidth -= len(count) + 1
	}
	if labelWidth > 0 {
		drawText(screen, x+1, y, labelWidth, fitLabel(c, labelWidth), style)
	}
	if count != "" && w > len(count)+1 {
		countStyle := style
		if c.Mention {
			countStyle = countStyle.Foreground(tcell.ColorRed)
		}
		drawText(screen, x+w-len(count), y, len(count), count, countStyle)
	}
}

// fitLabel shortens a chat's label to width; a person's name keeps its
// last word whole as long as it can ("@D. B. Bubblefish").
func fitLabel(c session.Chat, width int) string {
	label := chatLabel(c)
	if c.Kind != session.OneToOne || textWidth(label) <= width || width < 2 {
		return truncateText(label, width)
	}
	return label[:1] + fitName(label[1:], width-1)
}
