package session

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"hush/codec"
	"hush/codec/alias"
	"hush/session/encryption"
	"hush/session/group"
	"hush/store"
	"hush/whisper"
	"hush/whisper/droplog"
)

// DefaultMailserverPassword is the password whose key encrypts history
// requests on the 2019 Status network.
const DefaultMailserverPassword = whisper.OfflineInboxPassword

// eventBuffer is how many events may wait for the UI. The UI drains in
// batches, so this only absorbs bursts (a history page arrives at once).
const eventBuffer = 4096

// Config wires a Manager to its identity, node and store.
type Config struct {
	Identity    *ecdsa.PrivateKey
	Node        Node         // the transport; *whisper.Node in hush
	Store       Store        // the database; *store.Store in hush
	Mailservers []Mailserver // tried in order; the first connected one serves history
	// MailserverPassword derives the key that encrypts history requests;
	// empty means DefaultMailserverPassword.
	MailserverPassword string
	Logger             *slog.Logger
	Now                func() time.Time // nil means time.Now; tests move the clock
	// OnPanic receives a panic of a session goroutine (with its stack);
	// nil lets the panic end the process.
	OnPanic func(value any, stack []byte)
}

// Manager is the session: it is safe for use from several goroutines.
type Manager struct {
	cfg    Config
	log    *slog.Logger
	self   Identity
	pub65  []byte
	events chan Event
	quit   chan struct{}
	wg     sync.WaitGroup

	// dropped and ignored count received messages refused by a check and
	// records we do not handle; the log says why for each.
	dropped, ignored atomic.Int64
	// drops logs why received messages were dropped: the first of each
	// kind at once, then counts per minute, so a flood cannot fill the log.
	drops *droplog.Log
	guard senderGuard // ignored keys, new-chat cap (guard.go)

	// groupMu makes each read-merge-fold-save of a group's log whole, so a
	// change of ours and a received update cannot both fold a stale log.
	groupMu sync.Mutex

	mu         sync.Mutex
	subs       map[string]string    // whisper subscription id → public chat id
	chatSubs   map[string]string    // public chat id → whisper subscription id
	direct     map[string]directSub // whisper subscription id → one-to-one topic (listen.go)
	watched    map[string]string    // "code:"/"neg:" + key → subscription id
	clocks     map[string]int64     // chat id → last Lamport clock
	contacts   map[string]store.Contact
	aliases    map[string]string // key → three-word name (names.go)
	ownName    string            // our display name, "" for none (contactupdate.go)
	nameWake   chan struct{}
	symKeys    map[string][]byte // public chat name → derived key
	stopped    bool
	outbox     *outbox
	sync       *syncer
	historyKey []byte

	// The encryption stage (stage.go): the layer itself, the KV it keeps
	// its state in, and the session's bookkeeping around it.
	enc     *encryption.Protocol
	secrets *secretKV
	stage   stageState
}

// New builds a Manager. Call Start to subscribe and begin receiving.
func New(cfg Config) (*Manager, error) {
	if cfg.Identity == nil || cfg.Node == nil || cfg.Store == nil {
		return nil, errors.New("session: identity, node and store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MailserverPassword == "" {
		cfg.MailserverPassword = DefaultMailserverPassword
	}
	pubHex := codec.PublicKeyHex(&cfg.Identity.PublicKey)
	m := &Manager{
		cfg:   cfg,
		log:   cfg.Logger,
		pub65: crypto.FromECDSAPub(&cfg.Identity.PublicKey),
		self: Identity{
			PublicKey: pubHex,
			ShortName: codec.ShortKey(pubHex),
			Name:      alias.Name(&cfg.Identity.PublicKey),
		},
		events:     make(chan Event, eventBuffer),
		quit:       make(chan struct{}),
		subs:       make(map[string]string),
		chatSubs:   make(map[string]string),
		clocks:     make(map[string]int64),
		contacts:   make(map[string]store.Contact),
		aliases:    make(map[string]string),
		nameWake:   make(chan struct{}, 1),
		symKeys:    make(map[string][]byte),
		direct:     make(map[string]directSub),
		watched:    make(map[string]string),
		stage:      newStageState(),
		historyKey: codec.SymKeyFromPassword(cfg.MailserverPassword),
		drops:      droplog.New(cfg.Logger.With("what", "received"), 0),
	}
	if n := cfg.Node.Enode(); n != nil {
		m.self.Enode = n.URLv4()
	}
	inst, err := cfg.Store.InstallationID()
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	m.self.Installation = inst
	m.secrets = newSecretKV(cfg.Store.Secrets())
	m.enc, err = encryption.New(encryption.Config{
		Identity:       cfg.Identity,
		InstallationID: inst,
		KV:             m.secrets,
		Log:            cfg.Logger.With("part", "encryption"),
		Now:            cfg.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	m.sync = newSyncer(m)
	m.outbox = newOutbox(m)
	return m, nil
}

// Start subscribes to the one-to-one topic and every joined public chat,
// then starts receiving, posting and (with a mailserver) history sync.
func (m *Manager) Start() error {
	contacts, err := m.cfg.Store.Contacts()
	if err != nil {
		return fmt.Errorf("session: load contacts: %w", err)
	}
	chats, err := m.cfg.Store.Chats()
	if err != nil {
		return fmt.Errorf("session: load chats: %w", err)
	}
	names, err := m.cfg.Store.NameState()
	if err != nil {
		return fmt.Errorf("session: load display name: %w", err)
	}
	m.mu.Lock()
	m.ownName = names.Name
	for _, c := range contacts {
		m.contacts[c.Key] = c
	}
	for _, c := range chats {
		m.clocks[c.ID] = c.LastClock
	}
	m.mu.Unlock()

	if err := m.subscribeOwn(); err != nil {
		return err
	}
	for _, c := range chats {
		switch {
		case c.Kind == store.ChatPublic:
			if err := m.subscribePublic(c.ID); err != nil {
				return err
			}
		case c.Joined && c.Kind == store.ChatOneToOne:
			m.watchPeer(c.ID, false)
		case c.Joined && c.Kind == store.ChatGroup:
			log, err := m.groupLog(c.ID)
			if err != nil {
				m.log.Error("read group log", "chat", c.ID, "err", err)
				continue
			}
			st, _ := group.Fold(c.ID, log)
			m.watchMembers(&st, false)
		}
	}
	if n := m.cfg.Node.Enode(); n != nil {
		m.self.Enode = n.URLv4()
	}

	m.wg.Add(5)
	go m.receiveLoop()
	go m.postLoop()
	go m.peerLoop()
	go m.nameLoop()
	go m.advertiseLoop()
	m.sync.start()
	m.emit(ChatsChanged{Chats: m.Chats()})
	return nil
}

// Stop ends the session's goroutines. It does not stop the node or close
// the store: whoever made them owns them.
func (m *Manager) Stop() {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return
	}
	m.stopped = true
	m.mu.Unlock()
	close(m.quit)
	m.sync.stop()
	m.wg.Wait()
}

// Events is the channel the UI reads. There is one subscriber.
func (m *Manager) Events() <-chan Event { return m.events }

// Self returns our identity.
func (m *Manager) Self() Identity {
	m.mu.Lock()
	defer m.mu.Unlock()
	self := m.self
	self.DisplayName = m.ownName
	return self
}

// PeerCount is the number of connected whisper peers.
func (m *Manager) PeerCount() int { return m.cfg.Node.PeerCount() }

// emit hands an event to the UI. It blocks when the UI is far behind rather
// than dropping what the user should see, but never past Stop.
func (m *Manager) emit(ev Event) {
	select {
	case m.events <- ev:
	case <-m.quit:
	}
}

// notice reports a one-line message for the status line.
func (m *Manager) notice(text string, isErr bool) {
	m.emit(Notice{Text: text, Err: isErr})
}

func (m *Manager) now() time.Time { return m.cfg.Now() }

// peerLoop turns the node's peer count changes, and its notices if it has
// any, into events.
func (m *Manager) peerLoop() {
	defer m.wg.Done()
	defer m.catchPanic()
	var notices <-chan whisper.Notice // nil: never ready
	if n, ok := m.cfg.Node.(Noticer); ok {
		notices = n.Notices()
	}
	for {
		select {
		case <-m.quit:
			return
		case nt := <-notices:
			m.notice(nt.Text, nt.Err)
		case n := <-m.cfg.Node.PeerChanges():
			m.emit(PeersChanged{Count: n})
			m.outbox.poke()
			m.pokeAdvertise()
			m.sync.peersChanged()
			m.pokeNames()
		}
	}
}
