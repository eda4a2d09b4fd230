package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// sheet is a full-width page drawn over the chat list and the message pane:
// /whoami, /log and /search results. Lines start at column 0 with no
// gutter, so a key selected in the terminal is copied without the chat
// list or timestamps around it. It scrolls with PgUp/PgDn; Esc closes it,
// and so does showing a chat.
type sheet struct {
	*tview.Box
	title  string
	lines  []sheetLine
	footer string
	// top is the first content row shown; -1 keeps the end in view.
	top int
	// rows is how many content rows the last Draw had room for, total
	// how many rows the lines took at its width.
	rows, total int
}

// sheetLine is one line of a sheet; a long line continues on the next row
// at column 0.
type sheetLine struct {
	text  string
	style tcell.Style
}

func newSheet(title string, lines []sheetLine, footer string) *sheet {
	return &sheet{Box: tview.NewBox(), title: title, lines: lines, footer: footer}
}

// wrapped breaks the lines at width for drawing.
func (s *sheet) wrapped(width int) []sheetLine {
	var out []sheetLine
	for _, l := range s.lines {
		for _, r := range wrapText(l.text, width) {
			out = append(out, sheetLine{l.text[r.start:r.end], l.style})
		}
	}
	return out
}

// Draw implements tview.Primitive: title row, content rows, footer row.
func (s *sheet) Draw(screen tcell.Screen) {
	x, y, w, h := s.GetRect()
	if w <= 0 || h <= 0 {
		return
	}
	for row := 0; row < h; row++ {
		fillRow(screen, x, y+row, w, tcell.StyleDefault)
	}
	drawText(screen, x, y, w, truncateText(s.title, w), tcell.StyleDefault.Bold(true))
	s.rows = max(h-2, 0)
	if h < 3 {
		s.rows = max(h-1, 0)
	}
	rows := s.wrapped(w)
	s.total = len(rows)
	maxTop := max(len(rows)-s.rows, 0)
	if s.top < 0 || s.top > maxTop {
		s.top = maxTop
	}
	for i := 0; i < s.rows && s.top+i < len(rows); i++ {
		r := rows[s.top+i]
		drawText(screen, x, y+1+i, w, r.text, r.style)
	}
	if h >= 3 {
		hint := s.footer
		if len(rows) > s.rows {
			hint = "rows " + itoa(s.top+1) + "–" + itoa(min(s.top+s.rows, len(rows))) + " of " + itoa(len(rows)) + " · PgUp/PgDn scroll · " + hint
		}
		drawText(screen, x, y+h-1, w, truncateText(hint, w), styleDim())
	}
}

// scroll moves the view by n rows (negative: up).
func (s *sheet) scroll(n int) {
	if s.top < 0 {
		s.top = max(s.total-s.rows, 0)
	}
	// Draw clamps the bottom end, once it knows the width.
	s.top = max(s.top+n, 0)
}

// page is how far PgUp/PgDn move.
func (s *sheet) page() int { return max(s.rows-1, 1) }

// showSheet puts a sheet over the chats.
func (u *UI) showSheet(s *sheet) { u.sheet = s }

// closeSheet takes the sheet away; it reports whether one was open.
func (u *UI) closeSheet() bool {
	open := u.sheet != nil
	u.sheet = nil
	return open
}
