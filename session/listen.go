package session

import (
	"crypto/ecdsa"
	"fmt"

	"hush/codec"
	"hush/session/group"
)

// Topics of the one-to-one layer we listen on (PROTOCOL.md §7.11): our
// generic discovery, partitioned and personal topics (asymmetric, opened
// with our key), our own contact-code topic, the contact-code topic of
// every one-to-one peer, and the negotiated topic of every peer that reads
// ProtocolMessages (symmetric).

// directRole says what a one-to-one subscription is for.
type directRole int

const (
	roleDiscovery   directRole = iota // generic discovery (asymmetric)
	rolePartition                     // our partitioned topic (asymmetric)
	rolePersonal                      // our personal topic (asymmetric)
	roleContactCode                   // a key's contact-code topic: bundles only
	roleNegotiated                    // the topic shared with one peer
)

// directSub is one one-to-one subscription.
type directSub struct {
	role  directRole
	peer  string // the key a contact-code or negotiated topic belongs to
	topic codec.Topic
}

// subscribeOwn installs the subscriptions of our own key.
func (m *Manager) subscribeOwn() error {
	self := &m.cfg.Identity.PublicKey
	for _, s := range []struct {
		role directRole
		name string
	}{
		{roleDiscovery, codec.DiscoveryTopicName},
		{rolePartition, codec.PartitionedTopicName(self)},
		{rolePersonal, codec.PersonalTopicName(self)},
	} {
		topic := codec.TopicFor(s.name)
		id, err := m.cfg.Node.SubscribeAsym(topic, m.cfg.Identity)
		if err != nil {
			return fmt.Errorf("session: subscribe to %s: %w", s.name, err)
		}
		m.mu.Lock()
		m.direct[id] = directSub{role: s.role, topic: topic}
		m.mu.Unlock()
	}
	return m.watchCode(self)
}

// watchPeer listens for what a one-to-one peer publishes: its bundle on its
// contact-code topic and, once we share a secret with it, our negotiated
// topic. Errors are logged: the chat still works over the discovery topics.
// For a chat that is new (fresh), the peer's last advertisement is asked
// from the mailserver and ours goes out again soon, so that both sides
// learn each other's bundle without waiting hours for the next one.
func (m *Manager) watchPeer(key string, fresh bool) {
	// Subscribe first: a history request asks for the topics we listen on
	// when it is sent, and what arrives on any other topic is not opened.
	if pub, err := codec.ParsePublicKey(key); err == nil {
		if err := m.watchCode(pub); err != nil {
			m.log.Warn("listen for peer's bundle", "peer", key, "err", err)
		}
		m.watchNegotiated(pub)
	}
	if fresh {
		m.sync.requestRecent([]string{key}, historyOnJoin)
		m.advertiseForNewChat()
	}
}

// watchMembers listens for the bundles of a group's members, whose copies
// of group messages come one-to-one through the stage, and on the topics
// negotiated with them and with members removed since (their lines from
// before can still come from history there). When the group brought keys
// we did not listen to before and fresh is set (a group created, joined or
// grown, not a restart), both sides need each other's bundle to leave
// plain encryption: ours goes out again soon and the members' last
// advertisements are asked from the mailserver, as for a new chat.
func (m *Manager) watchMembers(st *group.State, fresh bool) {
	newKeys := false
	for _, mem := range st.Members() {
		if mem.Key == m.self.PublicKey {
			continue
		}
		pub, err := codec.ParsePublicKey(mem.Key)
		if err != nil {
			continue
		}
		if !m.isWatched("code:" + mem.Key) {
			newKeys = true
		}
		if err := m.watchCode(pub); err != nil {
			m.log.Warn("listen for member's bundle", "member", mem.Key, "err", err)
		}
		m.watchNegotiated(pub)
	}
	for _, key := range st.RemovedSince(0) {
		if pub, err := codec.ParsePublicKey(key); err == nil {
			m.watchNegotiated(pub)
		}
	}
	if fresh && newKeys {
		m.sync.requestRecent([]string{st.ChatID}, historyOnJoin)
		m.advertiseForNewChat()
	}
}

// isWatched reports whether a watch* subscription is in place.
func (m *Manager) isWatched(what string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.watched[what]
	return ok
}

// watchCode subscribes to a key's contact-code topic once.
func (m *Manager) watchCode(pub *ecdsa.PublicKey) error {
	key := codec.PublicKeyHex(pub)
	name := codec.ContactCodeTopicName(pub)
	return m.watchSym("code:"+key, name, directSub{role: roleContactCode, peer: key})
}

// watchNegotiated subscribes to the topic shared with a peer once its
// installations read ProtocolMessages of version 1 (PROTOCOL.md §7.11).
func (m *Manager) watchNegotiated(pub *ecdsa.PublicKey) {
	key := codec.PublicKeyHex(pub)
	if key == m.self.PublicKey {
		return
	}
	m.mu.Lock()
	_, done := m.watched["neg:"+key]
	m.mu.Unlock()
	if done || m.enc.MinProtocolVersion(pub) < 1 {
		return
	}
	name := codec.NegotiatedTopicName(m.enc.SharedSecret(pub))
	if err := m.watchSym("neg:"+key, name, directSub{role: roleNegotiated, peer: key}); err != nil {
		m.log.Warn("listen on negotiated topic", "peer", key, "err", err)
	}
}

func (m *Manager) watchSym(what, name string, sub directSub) error {
	m.mu.Lock()
	_, done := m.watched[what]
	m.mu.Unlock()
	if done {
		return nil
	}
	sub.topic = codec.TopicFor(name)
	id, err := m.cfg.Node.SubscribeSym(sub.topic, m.chatKey(name))
	if err != nil {
		return err
	}
	m.mu.Lock()
	if _, raced := m.watched[what]; raced {
		m.mu.Unlock()
		if err := m.cfg.Node.Unsubscribe(id); err != nil {
			m.log.Warn("unsubscribe", "topic", sub.topic, "err", err)
		}
		return nil
	}
	m.watched[what] = id
	m.direct[id] = sub
	m.mu.Unlock()
	return nil
}

// directTopics lists every one-to-one topic we listen on, for history
// requests: what was sent on any of them while we were away must come back.
func (m *Manager) directTopics() []codec.Topic {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := make(map[codec.Topic]bool, len(m.direct))
	out := make([]codec.Topic, 0, len(m.direct))
	// Discovery first: it is the one every 2019 peer sends on.
	out = append(out, codec.TopicFor(codec.DiscoveryTopicName))
	seen[out[0]] = true
	for _, s := range m.direct {
		if !seen[s.topic] {
			seen[s.topic] = true
			out = append(out, s.topic)
		}
	}
	return out
}
