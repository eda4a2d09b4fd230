package ui

import (
	"fmt"
	"sort"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"hush/session"
)

const (
	latestLoad     = 200  // messages loaded when a chat is opened
	olderLoad      = 100  // messages loaded per step when scrolling past the top
	maxWindow      = 2000 // messages kept in the pane at most
	topHistorySpan = 24 * time.Hour
)

// historySource is the part of the session the pane pages through.
type historySource interface {
	Latest(chatID string, n int) ([]session.Message, error)
	Before(chatID string, before session.Message, n int) ([]session.Message, error)
	RequestHistory(chatID string, d time.Duration) error
	Ignored() []string
}

// itemKind tells chat messages from the pane's own lines.
type itemKind int

const (
	kindMessage itemKind = iota
	kindSystem           // local information line (help, search results)
	kindRaw              // local line drawn across the full width, for copying
	kindAlert            // local line like kindSystem, in red: something went wrong in this chat
)

// paneItem is one message or local line in the pane, with its wrapped layout
// cached for the width it was last drawn at.
type paneItem struct {
	msg   session.Message // for local lines: Clock, ID and Time only
	kind  itemKind
	text  string // sanitized
	name  string // sanitized sender name
	color tcell.Color

	layoutWidth int
	layoutState session.MessageState
	display     string // text plus the delivery-state suffix
	lines       []lineRange
}

// itemKey orders items in a chat: by Lamport clock, then ID.
type itemKey struct {
	clock int64
	id    string
}

func (k itemKey) less(o itemKey) bool {
	if k.clock != o.clock {
		return k.clock < o.clock
	}
	return k.id < o.id
}

func (it *paneItem) key() itemKey { return itemKey{it.msg.Clock, it.msg.ID} }

// messagePane shows a window of one chat's messages: the newest latestLoad
// when opened, growing backwards page by page as the user scrolls up. It lays
// out and draws only what is visible.
type messagePane struct {
	*tview.Box
	src    historySource
	report func(error)

	selfKey string
	chatID  string
	items   []*paneItem
	ids     map[string]struct{}
	ignored map[string]bool // senders whose stored messages are not shown; nil until first load

	// Scroll position. When follow is set the newest line is at the bottom;
	// otherwise the top line is line anchorLine of the item with key anchor,
	// so items inserted above it do not move what the user is reading.
	follow     bool
	anchor     itemKey
	anchorLine int

	olderDone   bool            // the window reaches back to the oldest stored message
	newerCut    bool            // newer messages were dropped from the window
	askedFor    map[string]bool // chats whose mailserver history we asked for at the top
	rulerID     string          // message that starts the unread part
	revealRuler bool            // scroll the ruler into view at the next draw
	localSeq    int

	width, height int // inner size at the last draw
}

func newMessagePane(src historySource, report func(error)) *messagePane {
	return &messagePane{
		Box:      tview.NewBox(),
		src:      src,
		report:   report,
		ids:      map[string]struct{}{},
		askedFor: map[string]bool{},
		follow:   true,
	}
}

// clear empties the pane (no chat selected).
func (p *messagePane) clear() {
	p.chatID = ""
	p.items = nil
	p.ids = map[string]struct{}{}
	p.follow, p.olderDone, p.newerCut = true, true, false
	p.rulerID, p.revealRuler = "", false
}

// load shows chatID's newest messages. unread is how many of them the user
// has not seen; the "new messages" ruler goes above the first of those.
func (p *messagePane) load(chatID string, unread int) {
	p.clear()
	p.chatID = chatID
	if p.ignored == nil {
		p.setIgnored(p.src.Ignored())
	}
	msgs, err := p.src.Latest(chatID, latestLoad)
	if err != nil {
		p.report(fmt.Errorf("load messages: %w", err))
	}
	p.olderDone = len(msgs) < latestLoad
	for _, m := range msgs {
		p.insertAt(len(p.items), m)
	}
	sort.SliceStable(p.items, func(i, j int) bool { return p.items[i].key().less(p.items[j].key()) })
	p.placeRuler(unread)
}

// placeRuler puts the ruler above the unread-th newest incoming message, or
// above the oldest loaded one when more are unread than loaded.
func (p *messagePane) placeRuler(unread int) {
	if unread <= 0 {
		return
	}
	count := 0
	for i := len(p.items) - 1; i >= 0; i-- {
		it := p.items[i]
		if it.kind != kindMessage || it.msg.Outgoing {
			continue
		}
		p.rulerID = it.msg.ID
		count++
		if count == unread {
			break
		}
	}
	p.revealRuler = p.rulerID != ""
}

// newItem prepares a message for display.
func (p *messagePane) newItem(m session.Message) *paneItem {
	name := sanitizeText(m.SenderName, false)
	if name == "" {
		name = shortKey(m.Sender)
	}
	text := sanitizeText(m.Text, true)
	if m.ContentType == "sticker" && text == "" {
		text = "[sticker]"
	}
	return &paneItem{msg: m, kind: kindMessage, text: text, name: name, color: senderColor(m.Sender)}
}

// setIgnored replaces the senders whose messages the pane hides. The session
// drops what they send from then on; this hides what was stored before.
func (p *messagePane) setIgnored(keys []string) {
	p.ignored = make(map[string]bool, len(keys))
	for _, k := range keys {
		p.ignored[k] = true
	}
}

// insertAt inserts m at index i without any checks beyond duplicates and
// ignored senders.
func (p *messagePane) insertAt(i int, m session.Message) {
	if _, dup := p.ids[m.ID]; dup {
		return
	}
	if p.ignored[m.Sender] {
		return
	}
	p.ids[m.ID] = struct{}{}
	p.items = append(p.items, nil)
	copy(p.items[i+1:], p.items[i:])
	p.items[i] = p.newItem(m)
}

// search returns the index of the first item not sorting before k.
func (p *messagePane) search(k itemKey) int {
	return sort.Search(len(p.items), func(i int) bool { return !p.items[i].key().less(k) })
}

// insert adds live or history messages that fall inside the loaded window,
// in (Clock, ID) order. Messages older than the window are left for paging
// to find; known IDs are updated in place.
func (p *messagePane) insert(msgs []session.Message) {
	for _, m := range msgs {
		if _, dup := p.ids[m.ID]; dup {
			p.update(m)
			continue
		}
		i := p.search(itemKey{m.Clock, m.ID})
		if i == 0 && len(p.items) > 0 && !p.olderDone {
			continue // older than the window; Before will return it
		}
		if i == len(p.items) && p.newerCut {
			continue // newer than the window; reloading the end will show it
		}
		p.insertAt(i, m)
	}
	p.trim()
}

// update replaces the message with m's ID (a repeat delivery may carry a new
// state or name).
func (p *messagePane) update(m session.Message) {
	for i := len(p.items) - 1; i >= 0; i-- {
		if p.items[i].msg.ID == m.ID && p.items[i].kind == kindMessage {
			if p.items[i].key() == (itemKey{m.Clock, m.ID}) {
				p.items[i] = p.newItem(m)
			}
			return
		}
	}
}

// rename shows a new name on every message of key in the window.
func (p *messagePane) rename(key, name string) {
	for _, it := range p.items {
		if it.kind == kindMessage && it.msg.Sender == key && !it.msg.Outgoing {
			it.msg.SenderName = name
			it.name = sanitizeText(name, false)
			if it.name == "" {
				it.name = shortKey(key)
			}
		}
	}
}

// setState changes the delivery state of one of our messages.
func (p *messagePane) setState(id string, state session.MessageState) {
	for i := len(p.items) - 1; i >= 0; i-- {
		if it := p.items[i]; it.msg.ID == id && it.kind == kindMessage {
			it.msg.State = state
			return
		}
	}
}

// lastUnsent returns our newest message that failed or is still pending.
func (p *messagePane) lastUnsent() (session.Message, bool) {
	for i := len(p.items) - 1; i >= 0; i-- {
		if it := p.items[i]; it.kind == kindMessage && it.msg.Outgoing &&
			(it.msg.State == session.Failed || it.msg.State == session.Pending) {
			return it.msg, true
		}
	}
	return session.Message{}, false
}

// senders lists the display names of other people in the window, for
// completion.
func (p *messagePane) senders() []string {
	seen := map[string]bool{}
	var names []string
	for _, it := range p.items {
		if it.kind != kindMessage || it.msg.Outgoing || seen[it.name] {
			continue
		}
		seen[it.name] = true
		names = append(names, it.name)
	}
	return names
}

// addLocal appends a line of our own (help, search results, /whoami) after
// everything in the window and scrolls to it.
func (p *messagePane) addLocal(kind itemKind, text string) {
	p.toBottom()
	var clock int64
	if n := len(p.items); n > 0 {
		clock = p.items[n-1].msg.Clock
	}
	p.localSeq++
	// "~" sorts after the hex digits of message IDs, so the line stays below
	// messages with the same clock.
	id := fmt.Sprintf("~local-%09d", p.localSeq)
	p.items = append(p.items, &paneItem{
		msg:  session.Message{ID: id, Clock: clock, Time: time.Now()},
		kind: kind,
		text: sanitizeText(text, true),
	})
	p.trim()
}

// trim keeps the window at maxWindow items, dropping from the end the user
// is not looking at.
func (p *messagePane) trim() {
	excess := len(p.items) - maxWindow
	if excess <= 0 {
		return
	}
	if p.follow {
		for _, it := range p.items[:excess] {
			delete(p.ids, it.msg.ID)
		}
		p.items = append(p.items[:0:0], p.items[excess:]...)
		p.olderDone = false
		return
	}
	// Scrolled up: keep the anchor and a screenful of items after it.
	keep := p.search(p.anchor) + max(p.height, 1) + 1
	if keep >= len(p.items) {
		return
	}
	for _, it := range p.items[keep:] {
		delete(p.ids, it.msg.ID)
	}
	p.items = p.items[:keep:keep]
	p.newerCut = true
}

// loadOlder fetches messages older than the window from the store. At the
// very top of stored history it asks the mailserver, once per chat.
func (p *messagePane) loadOlder() int {
	if p.chatID == "" {
		return 0
	}
	oldest, ok := p.oldestMessage()
	if p.olderDone || !ok {
		p.olderDone = true
		p.askForHistory()
		return 0
	}
	msgs, err := p.src.Before(p.chatID, oldest, olderLoad)
	if err != nil {
		p.report(fmt.Errorf("load older messages: %w", err))
		return 0
	}
	if len(msgs) < olderLoad {
		p.olderDone = true
	}
	before := len(p.items)
	for _, m := range msgs {
		if m.Before(oldest) {
			p.insertAt(p.search(itemKey{m.Clock, m.ID}), m)
		}
	}
	added := len(p.items) - before
	if added == 0 {
		p.olderDone = true
		p.askForHistory()
	}
	p.trim()
	return added
}

// oldestMessage is the first chat message (not local line) in the window.
func (p *messagePane) oldestMessage() (session.Message, bool) {
	for _, it := range p.items {
		if it.kind == kindMessage {
			return it.msg, true
		}
	}
	return session.Message{}, false
}

// askForHistory requests a day of mailserver history for the chat, once.
func (p *messagePane) askForHistory() {
	if p.chatID == "" || p.askedFor[p.chatID] {
		return
	}
	p.askedFor[p.chatID] = true
	if err := p.src.RequestHistory(p.chatID, topHistorySpan); err != nil {
		p.report(fmt.Errorf("request history: %w", err))
	}
}

// toBottom scrolls to the newest message, reloading the end of the chat if
// it was dropped from the window.
func (p *messagePane) toBottom() {
	if p.newerCut {
		ruler := p.rulerID
		p.load(p.chatID, 0)
		p.rulerID = ruler
	}
	p.follow = true
}
