package ui

import (
	"time"

	"hush/session"
)

// Session is what the UI needs from the session manager (*session.Manager implements it).
type Session interface {
	Events() <-chan session.Event
	Self() session.Identity
	Chats() []session.Chat
	JoinPublic(name string) (session.Chat, error)       // name with or without '#'; validation errors are user-facing one-liners
	OpenPrivate(keyOrName string) (session.Chat, error) // 0x04… key (with/without 0x) or a known contact name
	Leave(chatID string) error
	Send(chatID, text string) error // returns fast; delivery state arrives as MessageStateChanged
	Resend(chatID, msgID string) error
	Latest(chatID string, n int) ([]session.Message, error)                         // newest n, ascending
	Before(chatID string, before session.Message, n int) ([]session.Message, error) // n older than `before`, ascending
	MarkRead(chatID string)
	SetNickname(chatID, nick string) error               // "" removes the nickname
	SetDisplayName(name string) error                    // our own name, sent to our contacts
	Who(chatID string) ([]session.Person, error)         // who wrote the chat\'s newest messages, latest first
	RequestHistory(chatID string, d time.Duration) error // async; progress arrives as SyncProgress events
	Search(chatID, text string, limit int) ([]session.Message, error)
	PeerCount() int
	Ignore(keyOrName string) (string, error)   // drops the key's messages from now on and leaves our chat with it; returns the key
	Unignore(keyOrName string) (string, error) // returns the key
	Ignored() []string                         // the ignored keys

	// Private groups (Leave and Send work for them too).
	CreateGroup(name string, members []string) (session.Chat, error) // members: keys or contact names
	AcceptInvite(chatID string) error
	DeclineInvite(chatID string) error
	InviteMembers(chatID string, members []string) error
	RemoveMember(chatID, member string) error // member: key or a name the group shows
	RenameGroup(chatID, name string) error
	AddAdmin(chatID, member string) error
	GroupMembers(chatID string) ([]session.GroupMember, error)
	Info(chatID string) (session.ChatInfo, error) // end-to-end encryption, installations and topic of a chat
}
