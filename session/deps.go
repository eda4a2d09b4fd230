package session

import (
	"context"
	"crypto/ecdsa"

	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/store"
	"hush/whisper"
	"hush/whisper/rpcnode"
)

// Node is the transport the session drives: subscriptions, posting,
// history requests and peer changes. *whisper.Node implements it; tests
// wrap it to drop peers or fail posts.
type Node interface {
	Enode() *enode.Node
	AddPeer(node *enode.Node)
	PeerCount() int
	PeerChanges() <-chan int
	// Connection identifies a peer's current connection; a new value
	// means it connected again (history sync catches up then).
	Connection(id enode.ID) (whisper.Conn, bool)
	Acks() <-chan whisper.Ack
	Received() <-chan whisper.Received
	SubscribeSym(topic [4]byte, symKey []byte) (string, error)
	SubscribeAsym(topic [4]byte, key *ecdsa.PrivateKey) (string, error)
	Unsubscribe(id string) error
	Post(p whisper.Post) ([32]byte, error)
	RequestHistory(ctx context.Context, peer enode.ID, req whisper.HistoryRequest) (whisper.HistoryPage, error)
}

// Noticer is implemented by a transport with news for the user beyond
// peer counts (hush --node: the node went away, or is back); the session
// shows each notice on the status line.
type Noticer interface {
	Notices() <-chan whisper.Notice
}

// Store is the persistence the session needs. *store.Store implements it;
// tests wrap it to fail writes or stop between two steps.
type Store interface {
	JoinChat(id string, kind store.ChatKind) (store.Chat, error)
	LeaveChat(id string) error
	Chat(id string) (store.Chat, bool, error)
	Chats() ([]store.Chat, error)
	SetLastClock(id string, clock int64) error
	SetSyncedTo(ids []string, unix int64) error
	SetNew(id string, isNew bool) error

	Contacts() ([]store.Contact, error)
	SetNickname(key, nick string) error
	SetNetworkName(key, name string) error
	UpdateContact(key, name string, updatedMs int64) (bool, error)
	NameState() (store.NameState, error)
	SetDisplayName(name string) error
	SetNameSent(name string, sentMs int64) error
	SetMentioned(ids []string) error
	Ignore(key string) error
	Unignore(key string) (bool, error)
	IgnoredKeys() ([]string, error)

	AddMessage(m store.Message) (bool, error)
	AddMessages(ms []store.Message) ([]bool, error)
	StoredEnvelopes(hashes [][32]byte) (map[[32]byte]bool, error)
	SetEnvelopeHash(id, hash [32]byte) error
	SetState(id [32]byte, st store.MessageState) error
	Outgoing(states []store.MessageState, limit int) ([]store.Message, error)
	Message(id [32]byte) (store.Message, bool, error)
	Latest(chatID string, n int) ([]store.Message, error)
	Before(chatID string, clock int64, id [32]byte, n int) ([]store.Message, error)
	Oldest(chatID string) (store.Message, bool, error)
	Search(chatID, query string, limit int) ([]store.Message, error)
	MarkRead(chatID string) error
	RecentSenders(chatID string, n int) ([]store.Sender, error)
	UnreadCounts() (map[string]int, error)

	SaveGroup(g store.Group, updates []store.GroupUpdate) error
	Group(chatID string) (store.Group, bool, error)
	GroupUpdates(chatID string) ([]store.GroupUpdate, error)
	SetGroupSent(chatID string, clock int64) error
	UnsentGroups() ([]string, error)

	// InstallationID is this database's device id, made at first use.
	InstallationID() (string, error)
	// Secrets is where the encryption stage keeps its sealed state.
	Secrets() *store.Secrets
}

var (
	_ Node    = (*whisper.Node)(nil)
	_ Node    = (*rpcnode.Node)(nil)
	_ Noticer = (*rpcnode.Node)(nil)
	_ Store   = (*store.Store)(nil)
)
