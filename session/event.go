package session

import (
	"fmt"
	"time"
)

// ChatKind tells a public chat from a one-to-one chat.
type ChatKind int

const (
	// Public is a chat joined by name; anyone who knows the name can read it.
	Public ChatKind = 1
	// OneToOne is a private chat with one other key.
	OneToOne ChatKind = 2
	// Group is a private group chat: its messages go one-to-one to every member.
	Group ChatKind = 3
)

// Chat is what the UI needs to list a chat.
type Chat struct {
	ID      string   // public: the name ("status"); one-to-one: the peer's key as 0x04… lowercase hex
	Kind    ChatKind //
	Name    string   // best display name without the #/@ prefix: chat name, nickname, ~network name or three-word name
	Unread  int      // messages not yet seen by the user
	Mention bool     // an unread message mentions us (names us or our key)
	New     bool     // created by an incoming message from an unknown key, not opened yet
	// Groups only.
	Members int  // members, invited ones included
	Invited bool // we are invited and have not accepted yet
	Removed bool // we are no longer a member: nothing more arrives
	// Encryption is what a one-to-one message sent now would use end to
	// end: "plain" (ECIES to the key only), "DH" or "PFS" (double
	// ratchet). Empty for public chats. PROTOCOL.md §7.
	Encryption string
}

// MessageState is the delivery state of a message as the UI shows it.
type MessageState int

// The values are stored in the database: never renumber them.
const (
	Received MessageState = 0 // someone else's message
	Sending  MessageState = 1 // ours, posted while a peer was connected; no peer has acknowledged it yet
	Sent     MessageState = 2 // ours, a peer took it: it acknowledged the envelope, or (a stock geth peer, which never acknowledges) it was written to that peer's connection
	Failed   MessageState = 3 // ours, gave up after several posts went unacknowledged; /resend tries again
	Pending  MessageState = 4 // ours, stored; no peer is connected to take it yet
	Stored   MessageState = 5 // ours, a mailserver acknowledged it: it keeps it for recipients who are offline
)

// String names a state as the user reads it.
func (s MessageState) String() string {
	switch s {
	case Received:
		return "received"
	case Sending:
		return "sending"
	case Sent:
		return "sent"
	case Failed:
		return "failed"
	case Pending:
		return "pending"
	case Stored:
		return "stored"
	}
	return fmt.Sprintf("state %d", int(s))
}

// Unsent reports whether the outbox still owns a message in this state:
// it goes out (again) on the next connection, also after a restart.
func (s MessageState) Unsent() bool { return s == Pending || s == Sending }

// Message is one chat line as the UI shows it.
type Message struct {
	ID          string // 0x-prefixed hex message id
	ChatID      string
	Sender      string // 0x04… key of the author
	SenderName  string // best display name of the author
	Outgoing    bool   // written by us
	Clock       int64  // Lamport clock; the pane sorts by (Clock, ID)
	Time        time.Time
	ContentType string // "text/plain", "sticker", "command"
	Text        string
	State       MessageState
	Mention     bool // someone else's message that names us (our names or key prefix)
	// Encryption names how a received message was encrypted end to end
	// ("plain", "DH", "double ratchet", …; PROTOCOL.md §7); empty for
	// messages read back from the store.
	Encryption string
}

// Before reports whether m sorts before o in a chat.
func (m Message) Before(o Message) bool {
	if m.Clock != o.Clock {
		return m.Clock < o.Clock
	}
	return m.ID < o.ID
}

// Identity is who we are on the network.
type Identity struct {
	PublicKey string // 0x04… (132 characters)
	ShortName string // 0x04ab…cd12
	Name      string // three-word name (PROTOCOL.md §9.1), the same in every Status client
	// DisplayName is the name we give ourselves with /name and send to
	// our contacts; "" for none.
	DisplayName string
	Enode       string // enode://… URL of the embedded node
	// Installation is this data dir's installation id (PROTOCOL.md §7):
	// peers address our device by it.
	Installation string
}

// Event is a typed value the session sends to its subscriber (the UI).
// Events arrive on one channel; the UI drains it in batches.
type Event interface{ isEvent() }

// MessagesAdded carries new messages of one chat, live or from history,
// in (Clock, ID) order. They may sort anywhere in the chat.
type MessagesAdded struct {
	ChatID   string
	Messages []Message
	History  bool // came from a mailserver
}

// MessageStateChanged tells that one of our messages moved to a new state.
type MessageStateChanged struct {
	ChatID string
	ID     string
	State  MessageState
}

// OutboxChanged tells how many of our messages wait for the network. The
// session sends it whenever a count or the reason changes.
type OutboxChanged struct {
	Pending int    // stored, not posted: no peer can take them yet
	Sending int    // posted, no peer has acknowledged them yet
	Reason  string // why the pending ones wait ("no peers"); "" when they are about to go
}

// ChatsChanged carries the full chat list after a join, leave, rename,
// new incoming chat or unread change.
type ChatsChanged struct{ Chats []Chat }

// GroupChanged tells, in words, what changed in a group's membership or
// name: a line each, for the chat's pane.
type GroupChanged struct {
	ChatID string
	Name   string // the group's name, cleaned for display
	Lines  []string
}

// PeersChanged carries the number of connected whisper peers.
type PeersChanged struct{ Count int }

// SyncProgress reports mailserver history sync.
type SyncProgress struct {
	ChatIDs  []string // chats covered by the request
	Pages    int      // pages received so far
	Messages int      // envelopes received so far
	Done     bool
	Err      string // non-empty when the request failed
}

// ChatNotice is a line for one chat's pane, not a message: a message from
// the chat's peer that could not be decrypted, and why.
type ChatNotice struct {
	ChatID string
	Text   string
	Err    bool
}

// Notice is a one-line message for the status line (Err true shows it in red).
type Notice struct {
	Text string
	Err  bool
}

// SelfChanged carries our identity after our display name changed.
type SelfChanged struct{ Self Identity }

// NameChanged tells that the name shown for a key changed: our nickname
// for it, or the name it gave itself. Name is the new best name.
type NameChanged struct {
	Key  string
	Name string
}

func (SelfChanged) isEvent()         {}
func (NameChanged) isEvent()         {}
func (MessagesAdded) isEvent()       {}
func (ChatNotice) isEvent()          {}
func (MessageStateChanged) isEvent() {}
func (OutboxChanged) isEvent()       {}
func (ChatsChanged) isEvent()        {}
func (PeersChanged) isEvent()        {}
func (SyncProgress) isEvent()        {}
func (Notice) isEvent()              {}
func (GroupChanged) isEvent()        {}
