package session

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"sync"
	"time"

	"hush/codec"
	"hush/session/encryption"
	"hush/whisper"
)

// The encryption stage (PROTOCOL.md §7): every received payload passes
// through one call, stage.open, before codec.Decode, and every one-to-one
// payload through directPost before it is sealed. Which of plain transit,
// DH or double ratchet a message used is the stage's business; the session
// only records the kind it reports.

const (
	// bundleAnswerEvery bounds the bundle messages sent to one peer that
	// wrote to an installation of ours it has no session with (§7.11).
	bundleAnswerEvery = 2 * time.Hour
	// advertiseEvery is how often our bundle goes to our contact-code
	// topic (§7.11).
	advertiseEvery = 6 * time.Hour
	// failLineEvery bounds the "could not be decrypted" lines: one per peer
	// and reason in this time; the drop log counts the rest.
	failLineEvery = time.Minute
	// advertiseAgain is the least time between two advertisements asked
	// for by new chats: a burst of new chats costs one.
	advertiseAgain = 10 * time.Second
)

// errOwnEcho marks a ProtocolMessage of ours that came back (our post on a
// symmetric topic, or from a mailserver): it was encrypted for the peer's
// installations, never for ours, so there is nothing to read.
var errOwnEcho = errors.New("own encrypted message")

// stageState is the session's bookkeeping around the encryption layer.
type stageState struct {
	mu          sync.Mutex
	answered    map[string]time.Time // peer key → last bundle answer
	failLines   map[string]time.Time // peer key + reason → last line shown
	advertised  time.Time            // last bundle on our contact-code topic
	adWanted    bool                 // a new chat: advertise again now
	adForChat   time.Time            // last advertisement made for a new chat
	lastKind    map[string]encryption.Kind
	advertising chan struct{} // pokes advertiseLoop (capacity 1)
}

func newStageState() stageState {
	return stageState{
		answered:    make(map[string]time.Time),
		failLines:   make(map[string]time.Time),
		lastKind:    make(map[string]encryption.Kind),
		advertising: make(chan struct{}, 1),
	}
}

// open is the receive stage: it turns the payload of an envelope into the
// transit bytes it carries, with the kind of encryption it used. Bundles in
// the message are stored on the way. An empty payload is a bundle
// advertisement with nothing to show.
func (m *Manager) open(r whisper.Received) (encryption.Incoming, error) {
	in, err := m.enc.Decrypt(r.Signer, r.Payload)
	if err != nil {
		return in, m.decryptFailed(r, err)
	}
	return in, nil
}

// decryptFailed decides what a failed Decrypt means: an echo of our own
// message is dropped quietly; anything else is dropped with its reason in
// the drop log and one line in the peer's chat. A message for another
// installation of ours is answered with our bundle so that the sender can
// reach this one.
func (m *Manager) decryptFailed(r whisper.Received, err error) error {
	peer := codec.PublicKeyHex(r.Signer)
	if peer == m.self.PublicKey {
		return fmt.Errorf("%w: %w", errOwnEcho, err)
	}
	// The bundles of a message that failed are kept all the same: listen
	// where the peer may write next.
	m.watchNegotiated(r.Signer)
	why := decryptReason(err)
	if errors.Is(err, encryption.ErrNotForThisDevice) {
		if m.answerBundle(r.Signer) {
			why += "; sent them this device's keys"
		}
	}
	m.failLine(peer, why)
	return fmt.Errorf("decrypt: %w", err)
}

// decryptReason names a Decrypt error in a few words for the chat line.
func decryptReason(err error) string {
	switch {
	case errors.Is(err, encryption.ErrReplay):
		return "replayed"
	case errors.Is(err, encryption.ErrTampered):
		return "tampered with"
	case errors.Is(err, encryption.ErrNoSession):
		return "no session with that device"
	case errors.Is(err, encryption.ErrTooManySkipped):
		return "too many messages missing before it"
	case errors.Is(err, encryption.ErrBadBundle):
		return "bad key bundle"
	case errors.Is(err, encryption.ErrNotForThisDevice):
		return "not encrypted for this device"
	case errors.Is(err, encryption.ErrMalformed):
		return "malformed"
	}
	return "undecryptable"
}

// failLine tells the user, once per peer and reason a minute, that a
// message from peer was dropped. It shows in the peer's chat when there
// is one, on the status line otherwise.
func (m *Manager) failLine(peer, why string) {
	now := m.now()
	m.stage.mu.Lock()
	k := peer + "|" + why
	last, seen := m.stage.failLines[k]
	if seen && now.Sub(last) < failLineEvery {
		m.stage.mu.Unlock()
		return
	}
	m.stage.failLines[k] = now
	m.stage.mu.Unlock()
	text := fmt.Sprintf("a message from %s could not be decrypted: %s", m.displayName(peer), why)
	if c, ok, err := m.cfg.Store.Chat(peer); err == nil && ok && c.Joined {
		m.emit(ChatNotice{ChatID: peer, Text: text, Err: true})
		return
	}
	m.notice(text, true)
}

// answerBundle sends our bundle to a peer whose message had no entry for
// this installation, at most once per bundleAnswerEvery. It reports
// whether it did.
func (m *Manager) answerBundle(to *ecdsa.PublicKey) bool {
	peer := codec.PublicKeyHex(to)
	now := m.now()
	m.stage.mu.Lock()
	last, seen := m.stage.answered[peer]
	if seen && now.Sub(last) < bundleAnswerEvery {
		m.stage.mu.Unlock()
		return false
	}
	m.stage.answered[peer] = now
	m.stage.mu.Unlock()
	m.goBackground(func() {
		wire, err := m.enc.BundleMessage()
		if err == nil {
			err = m.secrets.flush()
		}
		if err != nil {
			m.log.Error("bundle answer", "to", peer, "err", err)
			return
		}
		post := whisper.Post{Signer: m.cfg.Identity, Payload: wire}
		m.asymTopic(&post, to)
		if _, err := m.cfg.Node.Post(post); err != nil {
			m.log.Warn("bundle answer not posted", "to", peer, "err", err)
			return
		}
		m.log.Info("sent our bundle to a peer that wrote to another installation", "to", peer)
	})
	return true
}

// goBackground runs fn on a goroutine Stop waits for.
func (m *Manager) goBackground(fn func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer m.catchPanic()
		fn()
	}()
}

// sealDirect passes a one-to-one post (directPost's: the transit bytes
// addressed to a key) through the encryption stage: the payload becomes
// what that key's installations can read (plain transit, DH or double
// ratchet) and the post moves to the topic PROTOCOL.md §7.11 picks. The
// outbox calls it for every one-to-one copy, a group's included, each time
// it posts: every call takes the ratchet's next key, which is written down
// before the post is returned, so a re-post (after a restart too) never
// reuses one.
func (m *Manager) sealDirect(p whisper.Post) (whisper.Post, encryption.Kind, error) {
	to := p.PublicKey
	out, err := m.enc.Encrypt(to, p.Payload)
	if err != nil {
		return whisper.Post{}, 0, fmt.Errorf("encrypt: %w", err)
	}
	if err := m.secrets.flush(); err != nil {
		return whisper.Post{}, 0, err
	}
	post := whisper.Post{Signer: p.Signer, Payload: out.Wire, TTL: p.TTL, PoW: p.PoW}
	if m.enc.Agreed(to) {
		// Answers come on the topic we send on.
		m.watchNegotiated(to)
		name := codec.NegotiatedTopicName(m.enc.SharedSecret(to))
		post.Topic, post.SymKey = codec.TopicFor(name), m.chatKey(name)
	} else {
		m.asymTopic(&post, to)
	}
	return post, out.Kind, nil
}

// sendDirect posts a payload to one key now, through directPost and
// sealDirect, without the outbox's retries. It returns the envelope hash.
func (m *Manager) sendDirect(to *ecdsa.PublicKey, payload []byte) ([32]byte, encryption.Kind, error) {
	post, err := m.directPost(to, payload)
	if err != nil {
		return [32]byte{}, 0, err
	}
	post, kind, err := m.sealDirect(post)
	if err != nil {
		return [32]byte{}, kind, err
	}
	h, err := m.cfg.Node.Post(post)
	return h, kind, err
}

// asymTopic addresses a post to a key with ECIES, on its partitioned topic
// when all its installations we know read ProtocolMessages of version 1,
// else on the generic discovery topic every 2019 client listens to.
func (m *Manager) asymTopic(post *whisper.Post, to *ecdsa.PublicKey) {
	post.PublicKey = to
	if m.enc.MinProtocolVersion(to) >= 1 {
		post.Topic = codec.TopicFor(codec.PartitionedTopicName(to))
		return
	}
	post.Topic = codec.TopicFor(codec.DiscoveryTopicName)
}

// sendTopicName names the topic the next message to key would use, for
// /info.
func (m *Manager) sendTopicName(to *ecdsa.PublicKey) string {
	switch {
	case m.enc.Agreed(to):
		return "negotiated " + codec.TopicFor(codec.NegotiatedTopicName(m.enc.SharedSecret(to))).String()
	case m.enc.MinProtocolVersion(to) >= 1:
		return codec.PartitionedTopicName(to) + " " + codec.TopicFor(codec.PartitionedTopicName(to)).String()
	}
	return codec.DiscoveryTopicName + " " + codec.TopicFor(codec.DiscoveryTopicName).String()
}

// advertiseLoop posts our bundle on our contact-code topic once a peer is
// connected after start, and again every advertiseEvery.
func (m *Manager) advertiseLoop() {
	defer m.wg.Done()
	defer m.catchPanic()
	timer := time.NewTimer(time.Minute)
	defer timer.Stop()
	for {
		wait := time.Minute
		m.stage.mu.Lock()
		now := m.now()
		due := m.stage.advertised.IsZero() || now.Sub(m.stage.advertised) >= advertiseEvery
		forChat := false
		if m.stage.adWanted {
			// New chats advertise at once, and a burst of them once.
			if next := m.stage.adForChat.Add(advertiseAgain); !now.Before(next) {
				due, forChat = true, true
			} else {
				wait = min(wait, next.Sub(now))
			}
		}
		m.stage.mu.Unlock()
		if due && m.cfg.Node.PeerCount() > 0 && m.advertise() && forChat {
			m.stage.mu.Lock()
			m.stage.adForChat = now
			m.stage.mu.Unlock()
		}
		timer.Reset(wait)
		select {
		case <-m.quit:
			return
		case <-timer.C:
		case <-m.stage.advertising:
		}
	}
}

// advertise posts our bundle on our own contact-code topic (symmetric) and
// reports whether it did.
func (m *Manager) advertise() bool {
	wire, err := m.enc.BundleMessage()
	if err == nil {
		err = m.secrets.flush()
	}
	if err != nil {
		m.log.Error("bundle advertisement", "err", err)
		return false
	}
	name := codec.ContactCodeTopicName(&m.cfg.Identity.PublicKey)
	post := whisper.Post{Signer: m.cfg.Identity, Payload: wire, Topic: codec.TopicFor(name), SymKey: m.chatKey(name)}
	if _, err := m.cfg.Node.Post(post); err != nil {
		m.log.Warn("bundle advertisement not posted", "err", err)
		return false
	}
	m.stage.mu.Lock()
	m.stage.advertised, m.stage.adWanted = m.now(), false
	m.stage.mu.Unlock()
	m.log.Info("advertised our bundle on our contact-code topic")
	return true
}

// advertiseForNewChat asks for our bundle on our contact-code topic soon: a
// peer in a new one-to-one chat starts listening there only now, and our
// last advertisement went by before it did. With its bundle and ours
// exchanged, the chat moves from plain transit to the double ratchet.
func (m *Manager) advertiseForNewChat() {
	m.stage.mu.Lock()
	m.stage.adWanted = true
	m.stage.mu.Unlock()
	m.pokeAdvertise()
}

// pokeAdvertise wakes advertiseLoop (the peer count changed).
func (m *Manager) pokeAdvertise() {
	select {
	case m.stage.advertising <- struct{}{}:
	default:
	}
}

// noteKind records how the last message received in a chat was encrypted.
func (m *Manager) noteKind(chatID string, k encryption.Kind) {
	m.stage.mu.Lock()
	m.stage.lastKind[chatID] = k
	m.stage.mu.Unlock()
}

// lockLabel names a kind the way the chat list shows it.
func lockLabel(k encryption.Kind) string {
	switch k {
	case encryption.DH:
		return "DH"
	case encryption.X3DH, encryption.DoubleRatchet:
		return "PFS"
	}
	return "plain"
}
