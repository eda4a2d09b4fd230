package ui

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"hush/session"
)

// fakeSession is a TEST DOUBLE for Session: an in-memory chat store that
// records every call the UI makes and emits events on a buffered channel the
// way the real session manager does (store first, then event).
type fakeSession struct {
	events chan session.Event

	mu       sync.Mutex
	self     session.Identity
	chats    []session.Chat
	messages map[string][]session.Message // per chat, sorted by (Clock, ID)
	calls    []string                     // "Method arg arg", in call order
	seq      int64
	peers    int
	ignored  []string                         // keys, in the order ignored (fake_ignore_test.go)
	groups   map[string][]session.GroupMember // members per group (fake_group_test.go)
	aliases  map[string]string                // three-word name → key, for OpenPrivate
	nameOf   map[string]string                // key → name shown without a nickname
	infos    map[string]session.ChatInfo      // what Info returns per chat (encryption_test.go)
	// panicOnJoin makes JoinPublic panic for this name: the test-only way to
	// crash the UI loop.
	panicOnJoin string
}

const fakeSelfKey = "0x04" + "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11" +
	"bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22bb22"

func newFakeSession(chats ...session.Chat) *fakeSession {
	return &fakeSession{
		events: make(chan session.Event, 8192),
		self: session.Identity{
			PublicKey:    fakeSelfKey,
			ShortName:    shortKey(fakeSelfKey),
			Name:         "Quiet Able Otter",
			Enode:        "enode://aa11@127.0.0.1:30303",
			Installation: "3f0c9a1e-5b7d-4c2a-9e61-0d8b2f4a7c55",
		},
		chats:    append([]session.Chat(nil), chats...),
		messages: map[string][]session.Message{},
		peers:    3,
	}
}

func publicChat(name string) session.Chat {
	return session.Chat{ID: name, Kind: session.Public, Name: name}
}

func (f *fakeSession) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

// callsWith returns the recorded calls that start with prefix.
func (f *fakeSession) callsWith(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// emitChats sends the chat list; f.mu must be held.
func (f *fakeSession) emitChats() {
	f.events <- session.ChatsChanged{Chats: append([]session.Chat(nil), f.chats...)}
}

func (f *fakeSession) chatIndex(id string) int {
	for i, c := range f.chats {
		if c.ID == id {
			return i
		}
	}
	return -1
}

// store adds messages to a chat, keeping it sorted; f.mu must be held.
func (f *fakeSession) store(chatID string, msgs ...session.Message) {
	list := append(f.messages[chatID], msgs...)
	sort.Slice(list, func(i, j int) bool { return list[i].Before(list[j]) })
	f.messages[chatID] = list
}

// deliver stores incoming messages like the session does for live (or
// history) traffic, counts them unread and emits the events.
func (f *fakeSession) deliver(chatID string, history bool, msgs ...session.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.store(chatID, msgs...)
	f.events <- session.MessagesAdded{ChatID: chatID, Messages: msgs, History: history}
	if i := f.chatIndex(chatID); i >= 0 {
		for _, m := range msgs {
			if !m.Outgoing {
				f.chats[i].Unread++
				f.chats[i].Mention = f.chats[i].Mention || m.Mention
			}
		}
		f.emitChats()
	}
}

// preload stores messages without any event, as if they were in the store
// before the UI started.
func (f *fakeSession) preload(chatID string, msgs ...session.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.store(chatID, msgs...)
}

func (f *fakeSession) Events() <-chan session.Event { return f.events }

func (f *fakeSession) Self() session.Identity {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.self
}

func (f *fakeSession) Chats() []session.Chat {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]session.Chat(nil), f.chats...)
}

func (f *fakeSession) JoinPublic(name string) (session.Chat, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("JoinPublic %s", name)
	name = strings.TrimPrefix(name, "#")
	if f.panicOnJoin != "" && name == f.panicOnJoin {
		panic("fake session: join " + name)
	}
	if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		return session.Chat{}, errors.New("chat names use a-z, 0-9 and -")
	}
	if i := f.chatIndex(name); i >= 0 {
		return f.chats[i], nil
	}
	c := publicChat(name)
	f.chats = append(f.chats, c)
	f.emitChats()
	return c, nil
}

func (f *fakeSession) OpenPrivate(keyOrName string) (session.Chat, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("OpenPrivate %s", keyOrName)
	if key, ok := f.aliases[keyOrName]; ok {
		keyOrName = key
	}
	for _, c := range f.chats {
		if c.Kind == session.OneToOne && (c.ID == keyOrName || strings.EqualFold(c.Name, keyOrName)) {
			return c, nil
		}
	}
	key := strings.ToLower(keyOrName)
	if !strings.HasPrefix(key, "0x") {
		key = "0x" + key
	}
	if !strings.HasPrefix(key, "0x04") || len(key) != 132 {
		return session.Chat{}, errors.New("not a public key or known contact: " + keyOrName)
	}
	c := session.Chat{ID: key, Kind: session.OneToOne, Name: shortKey(key)}
	f.chats = append(f.chats, c)
	f.emitChats()
	return c, nil
}

func (f *fakeSession) Leave(chatID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Leave %s", chatID)
	i := f.chatIndex(chatID)
	if i < 0 {
		return errors.New("not in chat " + chatID)
	}
	f.chats = append(f.chats[:i:i], f.chats[i+1:]...)
	f.emitChats()
	return nil
}

func (f *fakeSession) Send(chatID, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Send %s %s", chatID, text)
	f.seq++
	m := session.Message{
		ID:          fmt.Sprintf("0xsent%04d", f.seq),
		ChatID:      chatID,
		Sender:      f.self.PublicKey,
		SenderName:  f.self.ShortName,
		Outgoing:    true,
		Clock:       1_000_000 + f.seq,
		Time:        time.Now(),
		ContentType: "text/plain",
		Text:        text,
		State:       session.Sending,
	}
	f.store(chatID, m)
	f.events <- session.MessagesAdded{ChatID: chatID, Messages: []session.Message{m}}
	return nil
}

func (f *fakeSession) Resend(chatID, msgID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Resend %s %s", chatID, msgID)
	return nil
}

func (f *fakeSession) Latest(chatID string, n int) ([]session.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Latest %s %d", chatID, n)
	list := f.messages[chatID]
	return append([]session.Message(nil), list[max(0, len(list)-n):]...), nil
}

func (f *fakeSession) Before(chatID string, before session.Message, n int) ([]session.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Before %s %s %d", chatID, before.ID, n)
	list := f.messages[chatID]
	end := sort.Search(len(list), func(i int) bool { return !list[i].Before(before) })
	return append([]session.Message(nil), list[max(0, end-n):end]...), nil
}

func (f *fakeSession) MarkRead(chatID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("MarkRead %s", chatID)
	if i := f.chatIndex(chatID); i >= 0 {
		c := &f.chats[i]
		if c.Unread != 0 || c.Mention || c.New {
			c.Unread, c.Mention, c.New = 0, false, false
			f.emitChats()
		}
	}
}

// SetNickname records the call and, for a known one-to-one chat, renames
// its peer the way the session does: a nickname wins, none brings back the
// name the fake knew (nameOf) or the short key.
func (f *fakeSession) SetNickname(chatID, nick string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("SetNickname %s %s", chatID, nick)
	i := f.chatIndex(chatID)
	if i < 0 {
		return nil
	}
	name := nick
	if name == "" {
		name = f.nameOf[chatID]
	}
	if name == "" {
		name = shortKey(chatID)
	}
	f.chats[i].Name = name
	f.events <- session.NameChanged{Key: chatID, Name: name}
	f.emitChats()
	return nil
}

func (f *fakeSession) SetDisplayName(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("SetDisplayName %s", name)
	f.self.DisplayName = name
	f.events <- session.SelfChanged{Self: f.self}
	return nil
}

// Who lists the senders of the stored messages of a chat, latest first.
func (f *fakeSession) Who(chatID string) ([]session.Person, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Who %s", chatID)
	var out []session.Person
	seen := map[string]int{}
	msgs := f.messages[chatID]
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if j, ok := seen[m.Sender]; ok {
			out[j].Messages++
			continue
		}
		seen[m.Sender] = len(out)
		out = append(out, session.Person{Key: m.Sender, Name: m.SenderName, LastSeen: m.Time, Messages: 1})
	}
	return out, nil
}

func (f *fakeSession) RequestHistory(chatID string, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("RequestHistory %s %s", chatID, d)
	return nil
}

func (f *fakeSession) Search(chatID, text string, limit int) ([]session.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Search %s %s", chatID, text)
	var out []session.Message
	for _, m := range f.messages[chatID] {
		if strings.Contains(m.Text, text) && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

func (f *fakeSession) PeerCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.peers
}

// testMessage builds an incoming message; n orders it (clock and minute).
func testMessage(chatID string, n int, sender, text string) session.Message {
	return session.Message{
		ID:          fmt.Sprintf("0x%s%06d", strings.ReplaceAll(chatID, "-", ""), n),
		ChatID:      chatID,
		Sender:      "0x04" + strings.Repeat(fmt.Sprintf("%02x", len(sender)), 64),
		SenderName:  sender,
		Clock:       int64(n) * 10,
		Time:        time.Date(2026, 11, 24, 10, 0, 0, 0, time.Local).Add(time.Duration(n) * time.Minute),
		ContentType: "text/plain",
		Text:        text,
		State:       session.Received,
	}
}

// Info describes a chat: public chats by topic, one-to-one chats from the
// fake's infos map (what the test set), else as plain.
func (f *fakeSession) Info(chatID string) (session.ChatInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Info %s", chatID)
	i := f.chatIndex(chatID)
	if i < 0 {
		return session.ChatInfo{}, errors.New("info: open a chat first")
	}
	if info, ok := f.infos[chatID]; ok {
		return info, nil
	}
	c := f.chats[i]
	if c.Kind == session.Public {
		return session.ChatInfo{ChatID: chatID, Kind: session.Public, Topic: "#" + chatID + " 0x00000000"}, nil
	}
	return session.ChatInfo{ChatID: chatID, Kind: session.OneToOne, Encryption: "plain", EncryptionDetail: "plain"}, nil
}
