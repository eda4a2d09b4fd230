package ui

import "time"

// noticeLogSize is how many notices /log keeps.
const noticeLogSize = 200

// loggedNotice is a notice as /log lists it.
type loggedNotice struct {
	at   time.Time
	text string
	err  bool
}

// noticeLog keeps the last notices of the status line, which shows each
// for a few seconds only, so an error can be read again with /log.
type noticeLog struct {
	items []loggedNotice
}

func (l *noticeLog) add(n notice) {
	if len(l.items) == noticeLogSize {
		l.items = append(l.items[:0], l.items[1:]...)
	}
	l.items = append(l.items, loggedNotice{at: time.Now(), text: n.text, err: n.err})
}

func (u *UI) cmdLog(args string) error {
	if args != "" {
		return errUsage
	}
	lines := make([]sheetLine, 0, len(u.notices.items))
	errs := 0
	for _, n := range u.notices.items {
		style := styleDim()
		if n.err {
			style = styleError()
			errs++
		}
		lines = append(lines, sheetLine{n.at.Local().Format("15:04:05") + " " + n.text, style})
	}
	title := "recent notices: " + plural(len(lines), "notice") + ", " + plural(errs, "error") + " (newest last)"
	if len(lines) == 0 {
		lines = append(lines, sheetLine{"nothing yet", styleDim()})
	}
	s := newSheet(title, lines, "Esc closes")
	s.top = -1
	u.showSheet(s)
	return nil
}
