package session

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/crypto"

	"hush/codec"
	"hush/codec/alias"
)

// nameRefresh is how often the display name goes to the contacts again
// even when it did not change, as Status did (PROTOCOL.md §9.2): a
// contact that missed an update gets it within two days.
const nameRefresh = 48 * time.Hour

// nameRetry is the wait after a contact update could not be posted.
const nameRetry = time.Minute

// SetDisplayName sets the name we give ourselves. It is kept across
// restarts and sent to every contact (our one-to-one chats) as a contact
// update now, or when a peer connects, and every 48 hours from then on.
func (m *Manager) SetDisplayName(name string) error {
	if n := utf8.RuneCountInString(strings.Join(strings.Fields(name), " ")); n > codec.MaxNameRunes {
		return fmt.Errorf("a name may be at most %d characters, not %d", codec.MaxNameRunes, n)
	}
	name = codec.CleanName(name)
	switch {
	case name == "":
		return errors.New("usage: /name NAME")
	case strings.HasPrefix(name, "~") || codec.LooksLikeKey(name) || strings.EqualFold(name, "me"):
		return errors.New("a name may not start with ~, be \"me\" or look like a 0x04… key")
	}
	if err := m.cfg.Store.SetDisplayName(name); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	m.mu.Lock()
	m.ownName = name
	m.mu.Unlock()
	m.emit(SelfChanged{Self: m.Self()})
	if m.PeerCount() == 0 {
		m.notice("name saved; it goes to your contacts when a peer connects", false)
	}
	m.pokeNames()
	return nil
}

// pokeNames wakes the name loop: the name changed or peers came.
func (m *Manager) pokeNames() {
	select {
	case m.nameWake <- struct{}{}:
	default:
	}
}

// nameLoop sends contact updates when they are due.
func (m *Manager) nameLoop() {
	defer m.wg.Done()
	defer m.catchPanic()
	for {
		timer := time.NewTimer(m.sendNameIfDue())
		select {
		case <-m.quit:
			timer.Stop()
			return
		case <-m.nameWake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// sendNameIfDue sends our display name to every contact when it changed
// since it was last sent or the last sending is nameRefresh old. It
// returns how long to wait before looking again.
func (m *Manager) sendNameIfDue() time.Duration {
	st, err := m.cfg.Store.NameState()
	if err != nil {
		m.log.Error("read display name", "err", err)
		return nameRetry
	}
	if st.Name == "" {
		return nameRefresh // nothing to send until /name pokes us
	}
	now := m.now()
	changed := st.Name != st.SentName
	if left := time.UnixMilli(st.SentMs).Add(nameRefresh).Sub(now); !changed && left > 0 {
		return left
	}
	if m.PeerCount() == 0 {
		return nameRefresh // a peer connecting pokes us
	}
	image, err := alias.NewIdenticon(m.self.PublicKey).DataURI()
	if err != nil {
		m.log.Error("draw identicon", "err", err)
	}
	payload, err := codec.EncodeContactUpdate(codec.ContactInfo{
		Name:         st.Name,
		ProfileImage: image,
		Address:      crypto.PubkeyToAddress(m.cfg.Identity.PublicKey).Hex(),
	})
	if err != nil {
		m.log.Error("encode contact update", "err", err)
		return nameRefresh
	}
	var sent, failed int
	var lastErr error
	for _, key := range m.oneToOneKeys() {
		if m.isIgnored(key) {
			continue
		}
		if err := m.sendContactUpdate(key, payload); err != nil {
			failed++
			lastErr = err
			continue
		}
		sent++
	}
	if failed > 0 {
		m.log.Warn("contact update not posted", "failed", failed, "sent", sent, "err", lastErr)
		if changed {
			m.notice(fmt.Sprintf("your name could not go to %d contacts (%v); trying again", failed, lastErr), true)
		}
		return nameRetry
	}
	if err := m.cfg.Store.SetNameSent(st.Name, now.UnixMilli()); err != nil {
		m.log.Error("record display name sent", "err", err)
	}
	m.log.Info("contact update sent", "contacts", sent, "changed", changed)
	if changed {
		m.notice(fmt.Sprintf("your name ~%s went to %s", st.Name, countOf(sent, "contact")), false)
	}
	return nameRefresh
}

// sendContactUpdate posts a contact record to one contact. Contact records
// travel like one-to-one messages (PROTOCOL.md §9.2), so this goes through
// the one-to-one post and the encryption stage (sendDirect) as Send does;
// it is the one place contact records leave.
func (m *Manager) sendContactUpdate(key string, payload []byte) error {
	pub, err := codec.ParsePublicKey(key)
	if err != nil {
		return fmt.Errorf("contact update to %s: %w", codec.ShortKey(key), err)
	}
	if _, _, err := m.sendDirect(pub, payload); err != nil {
		return fmt.Errorf("contact update to %s: %w", codec.ShortKey(key), err)
	}
	return nil
}

// countOf writes "1 contact", "3 contacts".
func countOf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// knowsKey reports whether key is a contact or has a one-to-one chat with
// us. Contact records from other keys are dropped: otherwise anyone could
// fill the contact table with names of keys that never wrote to us.
func (m *Manager) knowsKey(key string) (bool, error) {
	m.mu.Lock()
	_, ok := m.contacts[key]
	m.mu.Unlock()
	if ok {
		return true, nil
	}
	_, ok, err := m.cfg.Store.Chat(key)
	if err != nil {
		return false, fmt.Errorf("chat lookup: %w", err)
	}
	return ok, nil
}

// learnName applies a contact record (c2, c3 or c6: all handled alike) that
// key sent at sent: the name it gives itself, unless a record sent at the
// same time or later was applied already. Records from ourselves are
// ignored. A name that could pass for a key (lookalike letters included)
// or for one of our own markers is refused. It reports whether the name
// shown for key changed.
func (m *Manager) learnName(key, name string, sent time.Time) bool {
	if key == m.self.PublicKey {
		return false
	}
	name = codec.CleanName(name)
	if name == "" || codec.LooksLikeKey(name) || strings.HasPrefix(name, "~") || strings.EqualFold(name, "me") {
		return false
	}
	ms := sent.Unix() * 1000 // whisper time has whole seconds
	applied, err := m.cfg.Store.UpdateContact(key, name, ms)
	if err != nil {
		m.log.Error("store contact name", "key", key, "err", err)
		return false
	}
	if !applied {
		return false
	}
	m.mu.Lock()
	c := m.contacts[key]
	same := c.NetworkName == name
	c.Key, c.NetworkName, c.Updated = key, name, ms
	m.contacts[key] = c
	m.mu.Unlock()
	if !same {
		m.emit(NameChanged{Key: key, Name: m.displayName(key)})
	}
	return !same
}
