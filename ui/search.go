package ui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
)

// searchLimit bounds how many results one /search fetches; more than that
// is said, not silently cut.
const searchLimit = 1000

// cmdSearch lists the chat's stored messages matching text on a sheet,
// newest first, with how many matched. The results stay until the next
// search: /search alone shows them again after a chat switch closed them.
func (u *UI) cmdSearch(args string) error {
	if args == "" {
		if u.lastSearch == nil {
			return errUsage
		}
		u.lastSearch.top = 0
		u.showSheet(u.lastSearch)
		return nil
	}
	i := u.currentIndex()
	if i < 0 {
		return errNoChat
	}
	found, err := u.session.Search(u.current, args, searchLimit+1)
	if err != nil {
		return err
	}
	count := plural(len(found), "message") + " matched"
	if len(found) > searchLimit {
		found = found[:searchLimit]
		count = fmt.Sprintf("more than %d messages matched; the newest %d are shown (search for more words to narrow it)", searchLimit, searchLimit)
	}
	title := fmt.Sprintf("search %q in %s: %s", sanitizeText(args, false), chatLabel(u.chats[i]), count)
	lines := make([]sheetLine, 0, len(found))
	for _, m := range found {
		name := sanitizeText(m.SenderName, false)
		if name == "" {
			name = shortKey(m.Sender)
		}
		text := strings.ReplaceAll(sanitizeText(m.Text, true), "\n", " ⏎ ")
		lines = append(lines, sheetLine{m.Time.Local().Format("Mon 02 Jan 15:04") + " " + name + ": " + text, tcell.StyleDefault})
	}
	if len(lines) == 0 {
		lines = append(lines, sheetLine{"no stored message of this chat matches", styleDim()})
	}
	u.lastSearch = newSheet(title, lines, "newest first · Esc closes · /search alone shows these again")
	u.showSheet(u.lastSearch)
	return nil
}
