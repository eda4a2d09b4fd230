package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// maxInputRows is how tall the input grows for multi-line text.
const maxInputRows = 5

// layout is the root primitive: chat list and message pane on top, then the
// status line, then the input. It gives every widget a size that fits, down
// to a 1x1 terminal, and hands the keyboard to the input.
type layout struct {
	*tview.Box
	u *UI
}

func newLayout(u *UI) *layout { return &layout{Box: tview.NewBox(), u: u} }

// Draw implements tview.Primitive.
func (l *layout) Draw(screen tcell.Screen) {
	u := l.u
	x, y, w, h := l.GetRect()
	for _, p := range []tview.Primitive{u.list, u.pane, u.status, u.input} {
		p.SetRect(x, y, 0, 0)
	}
	if u.sheet != nil {
		u.sheet.SetRect(x, y, 0, 0)
	}
	if w <= 0 || h <= 0 {
		return
	}
	wanted := u.input.rowsFor(w)
	inputRows := min(wanted, max(h-2, 1))
	if wanted <= inputRows {
		// Everything fits: undo the scrolling the text area did while it
		// was shorter.
		u.input.SetOffset(0, 0)
	}
	statusRows := min(1, h-inputRows)
	mainRows := h - inputRows - statusRows

	if u.sheet != nil {
		// Full width, over the chat list and the pane.
		u.sheet.SetRect(x, y, w, mainRows)
		u.status.SetRect(x, y+mainRows, w, statusRows)
		u.input.SetRect(x, y+mainRows+statusRows, w, inputRows)
		u.sheet.Draw(screen)
		u.status.Draw(screen)
		u.input.Draw(screen)
		return
	}
	listWidth := 0
	if w >= 40 && mainRows > 0 {
		listWidth = min(u.list.preferredWidth(), w/3)
	}
	if listWidth > 0 {
		u.list.SetRect(x, y, listWidth, mainRows)
		for row := 0; row < mainRows; row++ {
			screen.SetContent(x+listWidth, y+row, '│', nil, styleDim())
		}
		u.pane.SetRect(x+listWidth+1, y, w-listWidth-1, mainRows)
	} else {
		u.pane.SetRect(x, y, w, mainRows)
	}
	u.status.SetRect(x, y+mainRows, w, statusRows)
	u.input.SetRect(x, y+mainRows+statusRows, w, inputRows)

	u.setTitle(screen)
	u.list.Draw(screen)
	u.pane.Draw(screen)
	u.status.Draw(screen)
	u.input.Draw(screen)
}

// Focus implements tview.Primitive: the input always has the keyboard.
func (l *layout) Focus(delegate func(p tview.Primitive)) { delegate(l.u.input) }

// HasFocus implements tview.Primitive.
func (l *layout) HasFocus() bool { return l.u.input.HasFocus() }

// InputHandler implements tview.Primitive: keys the global bindings let
// through go to the input.
func (l *layout) InputHandler() func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
	return l.u.input.InputHandler()
}

// PasteHandler implements tview.Primitive: pasted text goes to the input.
func (l *layout) PasteHandler() func(text string, setFocus func(p tview.Primitive)) {
	return l.u.input.PasteHandler()
}

// MouseHandler implements tview.Primitive. The mouse stays off so terminal
// text selection keeps working.
func (l *layout) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
	return nil
}
