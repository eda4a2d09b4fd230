package session

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"hush/codec"
	"hush/codec/alias"
	"hush/store"
)

// maxAliases bounds the cache of three-word names. Every sender shown or
// received passes through it, so it doubles as the set of keys /msg can
// find by their three-word name.
const maxAliases = 20000

// aliasOf is the three-word name of a key (PROTOCOL.md §9.1), or its short
// key if it is not a valid key. Computing one unmarshals a curve point, so
// names are cached.
func (m *Manager) aliasOf(key string) string {
	m.mu.Lock()
	name, ok := m.aliases[key]
	m.mu.Unlock()
	if ok {
		return name
	}
	name, err := alias.FromKey(key)
	if err != nil {
		return codec.ShortKey(key)
	}
	m.mu.Lock()
	if len(m.aliases) >= maxAliases {
		// Start over rather than track use: the names are cheap to
		// recompute, and this only happens after very many senders.
		m.aliases = make(map[string]string)
	}
	m.aliases[key] = name
	m.mu.Unlock()
	return name
}

// displayName is the best name we know for a key: our nickname for it,
// else the name it gave itself (marked with ~ so it is never mistaken for
// one we chose), else its three-word name.
func (m *Manager) displayName(key string) string {
	if key == m.self.PublicKey {
		return "me"
	}
	m.mu.Lock()
	c, ok := m.contacts[key]
	m.mu.Unlock()
	switch {
	case ok && c.Nickname != "":
		return c.Nickname
	case ok && c.NetworkName != "":
		return "~" + c.NetworkName
	default:
		return m.aliasOf(key)
	}
}

// resolveContact accepts a public key (with or without 0x), or a name: a
// nickname we gave, a name a contact gave itself ("~Alice" asks for those
// only) or the three-word name of a key we have seen. Our own nicknames
// come first; a name that fits more than one key is an error, never a
// guess.
func (m *Manager) resolveContact(input string) (string, error) {
	input = strings.TrimSpace(input)
	if input == "" {
		return "", errors.New("usage: /msg 0x04…key|name [text]")
	}
	if pub, err := codec.ParsePublicKey(input); err == nil {
		return codec.PublicKeyHex(pub), nil
	} else if looksLikeKey(input) {
		return "", fmt.Errorf("bad key: %w", err)
	}
	name := strings.TrimPrefix(input, "@")
	networkOnly := strings.HasPrefix(name, "~")
	name = strings.Join(strings.Fields(strings.TrimPrefix(name, "~")), " ")

	oneToOne := m.oneToOneKeys()
	for _, key := range oneToOne {
		m.aliasOf(key) // so chats we have are found by their three-word name
	}
	nicks, others := map[string]bool{}, map[string]bool{}
	m.mu.Lock()
	for key, c := range m.contacts {
		switch {
		case networkOnly:
			if strings.EqualFold(c.NetworkName, name) {
				others[key] = true
			}
		case strings.EqualFold(c.Nickname, name):
			nicks[key] = true
		case strings.EqualFold(c.NetworkName, name):
			others[key] = true
		}
	}
	if !networkOnly {
		for key, a := range m.aliases {
			if strings.EqualFold(a, name) {
				others[key] = true
			}
		}
	}
	m.mu.Unlock()
	found := nicks
	if len(found) == 0 {
		found = others
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("nobody known is named %q: use the full 0x04… key", name)
	case 1:
		for key := range found {
			return key, nil
		}
	}
	return "", fmt.Errorf("%d people go by %q: use the full 0x04… key", len(found), name)
}

// oneToOneKeys lists the peers of our joined one-to-one chats.
func (m *Manager) oneToOneKeys() []string {
	chats, err := m.cfg.Store.Chats()
	if err != nil {
		m.log.Error("list chats", "err", err)
		return nil
	}
	var keys []string
	for _, c := range chats {
		if c.Kind == store.ChatOneToOne && c.Joined {
			keys = append(keys, c.ID)
		}
	}
	return keys
}

// mentions reports whether text names us: our three-word name, our display
// name (each as whole words, any case) or a prefix of our key of at least
// "0x04" and 8 hex digits.
func (m *Manager) mentions(text string) bool {
	lower := strings.ToLower(text)
	m.mu.Lock()
	own := m.ownName
	m.mu.Unlock()
	for _, name := range []string{m.self.Name, own} {
		if name != "" && containsWords(lower, strings.ToLower(name)) {
			return true
		}
	}
	key := m.self.PublicKey[len("0x04"):]
	for rest := lower; ; {
		i := strings.Index(rest, "0x04")
		if i < 0 {
			return false
		}
		rest = rest[i+len("0x04"):]
		n := 0
		for n < len(rest) && n < len(key) && isHex(rest[n]) {
			n++
		}
		if n >= 8 && strings.HasPrefix(key, rest[:n]) {
			return true
		}
	}
}

// containsWords reports whether name occurs in text with no letter or
// digit right before or after it, so "Al" is not found in "Also".
func containsWords(text, name string) bool {
	for from := 0; from <= len(text)-len(name); {
		i := strings.Index(text[from:], name)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(name)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		from = start + size
	}
	return false
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }
