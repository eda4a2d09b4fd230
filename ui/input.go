package ui

import (
	"sort"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// maxRecall is how many sent lines Up/Down can bring back.
const maxRecall = 200

// inputBox is the text the user is writing: multi-line, pasted text welcome.
// It remembers what was sent (Up/Down) and the state of Tab completion.
type inputBox struct {
	*tview.TextArea
	sent   []string // oldest first
	recall int      // index into sent while recalling; len(sent) when not
	draft  string   // what was typed before recalling started

	completing *completion

	rows      int // cached rowsFor result
	rowsWidth int
	rowsStale bool
}

// completion is a Tab-completion in progress; repeated Tabs cycle.
type completion struct {
	before     string // text before the completed word
	candidates []string
	next       int
}

func newInputBox() *inputBox {
	in := &inputBox{TextArea: tview.NewTextArea(), rowsStale: true}
	in.SetBackgroundColor(tcell.ColorDefault)
	in.SetTextStyle(tcell.StyleDefault)
	in.SetPlaceholderStyle(styleDim())
	in.SetPlaceholder("type a message, or /help")
	in.SetWrap(true)
	in.SetWordWrap(true)
	in.SetChangedFunc(func() { in.rowsStale = true })
	return in
}

// rowsFor is how many rows the input wants at this width (1..maxInputRows).
func (in *inputBox) rowsFor(width int) int {
	if in.rowsStale || width != in.rowsWidth {
		if in.GetTextLength() > 16<<10 {
			in.rows = maxInputRows // a large paste: no need to lay it out
		} else {
			in.rows = countRows(in.GetText(), width, maxInputRows)
		}
		in.rowsWidth, in.rowsStale = width, false
	}
	return in.rows
}

// take empties the input and returns what was in it, remembering it for
// recall.
func (in *inputBox) take() string {
	text := in.GetText()
	in.SetText("", false)
	if strings.TrimSpace(text) != "" && (len(in.sent) == 0 || in.sent[len(in.sent)-1] != text) {
		in.sent = append(in.sent, text)
		if len(in.sent) > maxRecall {
			in.sent = append(in.sent[:0:0], in.sent[len(in.sent)-maxRecall:]...)
		}
	}
	in.recall, in.draft = len(in.sent), ""
	return text
}

// clear empties the input (Ctrl+C); it reports whether there was anything.
func (in *inputBox) clear() bool {
	had := in.GetTextLength() > 0
	in.SetText("", false)
	in.recall, in.draft = len(in.sent), ""
	return had
}

// singleLine reports whether Up/Down should recall history rather than move
// the cursor.
func (in *inputBox) singleLine() bool { return !strings.Contains(in.GetText(), "\n") }

// recallOlder puts the previous sent line into the input.
func (in *inputBox) recallOlder() {
	if in.recall > len(in.sent) {
		in.recall = len(in.sent)
	}
	if in.recall == 0 {
		return
	}
	if in.recall == len(in.sent) {
		in.draft = in.GetText()
	}
	in.recall--
	in.SetText(in.sent[in.recall], true)
}

// recallNewer goes forward again, ending at the draft.
func (in *inputBox) recallNewer() {
	if in.recall >= len(in.sent) {
		return
	}
	in.recall++
	if in.recall == len(in.sent) {
		in.SetText(in.draft, true)
		return
	}
	in.SetText(in.sent[in.recall], true)
}

// complete replaces the last word with the next candidate. candidates is
// asked only when a new completion starts; it gets the text before the word
// and the word.
func (in *inputBox) complete(candidates func(before, word string) []string) bool {
	if in.completing == nil {
		text := in.GetText()
		start := strings.LastIndexAny(text, " \n") + 1
		found := candidates(text[:start], text[start:])
		if len(found) == 0 {
			return false
		}
		in.completing = &completion{before: text[:start], candidates: found}
	}
	c := in.completing
	choice := c.candidates[c.next%len(c.candidates)]
	c.next++
	in.SetText(c.before+choice, true)
	return true
}

// matching returns the options starting with prefix (ignoring case), sorted
// and without repeats.
func matching(options []string, prefix string) []string {
	seen := map[string]bool{}
	var out []string
	lower := strings.ToLower(prefix)
	for _, o := range options {
		if !seen[o] && strings.HasPrefix(strings.ToLower(o), lower) {
			seen[o] = true
			out = append(out, o)
		}
	}
	sort.Strings(out)
	return out
}
