package ui

import (
	"time"

	"github.com/gdamore/tcell/v2"

	"hush/session"
)

// maxMessageRows bounds the rows one message takes in the pane; a longer one
// shows its first rows and a "… N more lines" marker, so one message cannot
// push a whole conversation off the screen.
const maxMessageRows = 30

// paneColumns are the widths of the pane's columns: the time (HH:MM and a
// space), the sender (right-aligned, then a space) and the text.
type paneColumns struct{ time, nick, text int }

// columnsFor narrows and then drops the time and sender columns as the pane
// gets narrow, so the text keeps some room.
func columnsFor(width int) paneColumns {
	var c paneColumns
	switch {
	case width >= 100:
		c.time, c.nick = 6, 26 // three-word names fit whole
	case width >= 80:
		c.time, c.nick = 6, 20
	case width >= 50:
		c.time, c.nick = 6, 14
	case width >= 32:
		c.time, c.nick = 6, 10
	case width >= 18:
		c.nick = 9
	}
	c.text = max(width-c.time-c.nick, 1)
	return c
}

// Styles shared by the widgets.
func styleDim() tcell.Style   { return tcell.StyleDefault.Foreground(tcell.ColorGray) }
func styleError() tcell.Style { return tcell.StyleDefault.Foreground(tcell.ColorRed) }
func styleRuler() tcell.Style { return tcell.StyleDefault.Foreground(tcell.ColorYellow) }

// styleMention highlights a line that names us.
func styleMention() tcell.Style {
	return tcell.StyleDefault.Foreground(tcell.ColorYellow).Bold(true)
}

// stateSuffix marks each of our messages with its delivery state:
//
//	…             pending: stored, no peer to take it yet (yellow; the status line says why)
//	…             sending: posted, no peer has acknowledged it yet (grey)
//	✓             sent: a peer took it
//	✓✓            stored: a mailserver has it for recipients who are offline
//	✗ (/resend)   failed: no peer took it after several tries (red)
func stateSuffix(it *paneItem) string {
	if it.kind != kindMessage || !it.msg.Outgoing {
		return ""
	}
	switch it.msg.State {
	case session.Pending, session.Sending:
		return " …"
	case session.Sent:
		return " ✓"
	case session.Stored:
		return " ✓✓"
	case session.Failed:
		return " ✗ (/resend)"
	}
	return ""
}

// stateStyle is the style of a state's mark.
func stateStyle(st session.MessageState) tcell.Style {
	switch st {
	case session.Pending:
		return tcell.StyleDefault.Foreground(tcell.ColorYellow)
	case session.Failed:
		return styleError()
	}
	return styleDim()
}

// linesOf wraps an item for the current width, reusing the cached layout.
func (p *messagePane) linesOf(it *paneItem) []lineRange {
	c := columnsFor(p.width)
	w := c.text
	switch it.kind {
	case kindSystem, kindAlert:
		w = max(p.width-c.time, 1)
	case kindRaw:
		w = max(p.width, 1)
	}
	if it.lines != nil && it.layoutWidth == w && it.layoutState == it.msg.State {
		return it.lines
	}
	it.display = it.text + stateSuffix(it)
	it.lines = wrapText(it.display, w)
	if it.kind == kindMessage && len(it.lines) > maxMessageRows {
		// Keep the first rows and say how many are left out; the marker
		// (with the state suffix) is drawn as the suffix is, after the text.
		kept := maxMessageRows - 1
		marker := "… " + plural(len(it.lines)-kept, "more line") + stateSuffix(it)
		it.display = it.text + marker
		it.lines = append(it.lines[:kept:kept], lineRange{len(it.text), len(it.display)})
	}
	it.layoutWidth, it.layoutState = w, it.msg.State
	return it.lines
}

// previousMessage is the index of the chat message before item i, or -1.
func (p *messagePane) previousMessage(i int) int {
	for j := i - 1; j >= 0; j-- {
		if p.items[j].kind == kindMessage {
			return j
		}
	}
	return -1
}

// showsDay reports whether item i starts a new day (or the window).
func (p *messagePane) showsDay(i int) bool {
	it := p.items[i]
	if it.kind != kindMessage {
		return false
	}
	j := p.previousMessage(i)
	return j < 0 || !sameDay(p.items[j].msg.Time, it.msg.Time)
}

// showsTime reports whether item i shows its time: when the minute changed.
func (p *messagePane) showsTime(i int) bool {
	it := p.items[i]
	if it.kind != kindMessage {
		return false
	}
	j := p.previousMessage(i)
	if j < 0 {
		return true
	}
	a, b := p.items[j].msg.Time.Local(), it.msg.Time.Local()
	return !sameDay(a, b) || a.Hour() != b.Hour() || a.Minute() != b.Minute()
}

// sameDay reports whether a and b fall on the same local calendar day.
func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Local().Date()
	by, bm, bd := b.Local().Date()
	return ay == by && am == bm && ad == bd
}

// hasRuler reports whether the "new messages" ruler sits above item i.
func (p *messagePane) hasRuler(i int) bool {
	it := p.items[i]
	return it.kind == kindMessage && p.rulerID != "" && it.msg.ID == p.rulerID
}

// blockHeight is how many rows item i takes: its wrapped text, plus a day
// line and the ruler when they sit above it.
func (p *messagePane) blockHeight(i int) int {
	h := len(p.linesOf(p.items[i]))
	if p.showsDay(i) {
		h++
	}
	if p.hasRuler(i) {
		h++
	}
	return h
}

// reaches reports whether the rows from line `line` of item idx to the end
// number at least limit.
func (p *messagePane) reaches(idx, line, limit int) bool {
	total := -line
	for i := idx; i < len(p.items); i++ {
		total += p.blockHeight(i)
		if total >= limit {
			return true
		}
	}
	return false
}

// bottomTop is the top position that puts the newest row at the bottom.
func (p *messagePane) bottomTop() (idx, line int) {
	total := 0
	for i := len(p.items) - 1; i >= 0; i-- {
		bh := p.blockHeight(i)
		if total+bh >= p.height {
			return i, total + bh - p.height
		}
		total += bh
	}
	return 0, 0
}

// top resolves the scroll position to the item and row drawn at the top.
func (p *messagePane) top() (idx, line int) {
	if !p.follow {
		idx = p.search(p.anchor)
		if idx < len(p.items) {
			line = max(0, min(p.anchorLine, p.blockHeight(idx)-1))
			if p.reaches(idx, line, p.height) {
				return idx, line
			}
		}
		// Scrolled past the end: follow the newest messages again.
		p.toBottom()
	}
	return p.bottomTop()
}

// scrollUp moves the view n rows up, loading older messages at the top of
// the window.
func (p *messagePane) scrollUp(n int) {
	if p.height <= 0 || p.width <= 0 {
		return
	}
	if len(p.items) == 0 {
		p.loadOlder()
		return
	}
	idx, line := p.top()
	p.follow = false
	line -= n
	for line < 0 {
		if idx == 0 {
			p.anchor, p.anchorLine = p.items[0].key(), 0
			key := p.anchor
			if p.loadOlder() == 0 {
				line = 0
				break
			}
			idx = p.search(key)
			if idx == 0 {
				line = 0
				break
			}
		}
		idx--
		line += p.blockHeight(idx)
	}
	p.anchor, p.anchorLine = p.items[idx].key(), line
}

// scrollDown moves the view n rows down; reaching the end follows new
// messages again.
func (p *messagePane) scrollDown(n int) {
	if p.follow || p.height <= 0 || p.width <= 0 {
		return
	}
	idx, line := p.top()
	if p.follow {
		return
	}
	line += n
	for idx < len(p.items) && line >= p.blockHeight(idx) {
		line -= p.blockHeight(idx)
		idx++
	}
	if idx >= len(p.items) || !p.reaches(idx, line, p.height) {
		p.toBottom()
		return
	}
	p.anchor, p.anchorLine = p.items[idx].key(), line
}

// revealRulerNow scrolls so the ruler is at the top when following would
// hide it above the screen.
func (p *messagePane) revealRulerNow() {
	for i := range p.items {
		if p.hasRuler(i) {
			if p.reaches(i, 0, p.height+1) {
				p.follow = false
				p.anchor, p.anchorLine = p.items[i].key(), 0
			}
			return
		}
	}
}

// Draw implements tview.Primitive. It lays out and draws only the rows that
// are visible.
func (p *messagePane) Draw(screen tcell.Screen) {
	x, y, w, h := p.GetRect()
	p.width, p.height = w, h
	if w <= 0 || h <= 0 {
		return
	}
	if len(p.items) == 0 {
		p.drawHint(screen, x, y, w, h)
		return
	}
	if p.revealRuler {
		p.revealRuler = false
		p.revealRulerNow()
	}
	idx, skip := p.top()
	row := 0
	for i := idx; i < len(p.items) && row < h; i++ {
		row = p.drawItem(screen, i, x, y, w, h, row, skip)
		skip = 0
	}
}

// drawItem draws the rows of item i from row `row` on, skipping its first
// `skip` rows, and returns the next free row.
func (p *messagePane) drawItem(screen tcell.Screen, i, x, y, w, h, row, skip int) int {
	it := p.items[i]
	line := 0
	emit := func(draw func(rowY int)) {
		if line >= skip && row < h {
			draw(y + row)
			row++
		}
		line++
	}
	if p.showsDay(i) {
		emit(func(rowY int) {
			label := "— " + it.msg.Time.Local().Format("Mon 02 Jan 2006") + " —"
			drawText(screen, x+max(0, (w-textWidth(label))/2), rowY, w, label, styleDim())
		})
	}
	if p.hasRuler(i) {
		emit(func(rowY int) {
			for c := 0; c < w; c++ {
				screen.SetContent(x+c, rowY, '─', nil, styleRuler())
			}
			label := " new messages "
			drawText(screen, x+max(0, (w-textWidth(label))/2), rowY, w, label, styleRuler())
		})
	}
	showTime := p.showsTime(i)
	for li, lr := range p.linesOf(it) {
		emit(func(rowY int) { p.drawTextLine(screen, it, li == 0 && showTime, li, lr, x, rowY, w) })
	}
	return row
}

// drawTextLine draws one wrapped line of an item with its columns.
func (p *messagePane) drawTextLine(screen tcell.Screen, it *paneItem, showTime bool, li int, lr lineRange, x, y, w int) {
	c := columnsFor(w)
	switch it.kind {
	case kindRaw:
		p.drawSegments(screen, it, lr, x, y, w)
		return
	case kindSystem, kindAlert:
		p.drawSegments(screen, it, lr, x+c.time, y, w-c.time)
		return
	}
	if li == 0 {
		if showTime && c.time > 0 {
			drawText(screen, x, y, c.time-1, it.msg.Time.Local().Format("15:04"), styleDim())
		}
		if c.nick > 1 {
			name, style := it.name, tcell.StyleDefault.Foreground(it.color)
			if it.msg.Outgoing {
				style = style.Bold(true).Underline(true)
			}
			name = fitName(name, c.nick-1)
			drawText(screen, x+c.time+c.nick-1-textWidth(name), y, c.nick-1, name, style)
		}
	}
	p.drawSegments(screen, it, lr, x+c.time+c.nick, y, c.text)
}

// drawSegments draws the text of one wrapped line, styling the state suffix
// apart from the text.
func (p *messagePane) drawSegments(screen tcell.Screen, it *paneItem, lr lineRange, x, y, width int) {
	textStyle := tcell.StyleDefault
	switch {
	case it.kind == kindSystem:
		textStyle = styleDim()
	case it.kind == kindAlert:
		textStyle = styleError()
	case it.msg.Mention:
		textStyle = styleMention()
	}
	suffixStyle := stateStyle(it.msg.State)
	textEnd := len(it.text)
	used := 0
	if lr.start < textEnd {
		used = drawText(screen, x, y, width, it.display[lr.start:min(lr.end, textEnd)], textStyle)
	}
	if lr.end > textEnd {
		drawText(screen, x+used, y, width-used, it.display[max(lr.start, textEnd):lr.end], suffixStyle)
	}
}

// drawHint explains what to do in an empty pane.
func (p *messagePane) drawHint(screen tcell.Screen, x, y, w, h int) {
	hint := "No chat open: /join #name joins a public chat, /msg 0x04… starts a private one, /help lists commands."
	if p.chatID != "" {
		hint = "No messages here yet. /history asks the mailserver for older ones."
	}
	for i, lr := range wrapText(hint, w) {
		if i >= h {
			break
		}
		drawText(screen, x, y+i, w, hint[lr.start:lr.end], styleDim())
	}
}
