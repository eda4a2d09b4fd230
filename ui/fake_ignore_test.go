package ui

import (
	"errors"
	"slices"
	"strings"
)

// Ignore records the call; the fake resolves names by the senders of its
// stored messages, as the session resolves contact names.
func (f *fakeSession) Ignore(keyOrName string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Ignore %s", keyOrName)
	key := f.resolve(keyOrName)
	if key == "" {
		return "", errors.New("ignore: no contact named " + keyOrName)
	}
	if !slices.Contains(f.ignored, key) {
		f.ignored = append(f.ignored, key)
	}
	if i := f.chatIndex(key); i >= 0 {
		f.chats = append(f.chats[:i:i], f.chats[i+1:]...)
		f.emitChats()
	}
	return key, nil
}

func (f *fakeSession) Unignore(keyOrName string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Unignore %s", keyOrName)
	key := f.resolve(keyOrName)
	i := slices.Index(f.ignored, key)
	if i < 0 {
		return "", errors.New("unignore: that key is not ignored")
	}
	f.ignored = slices.Delete(f.ignored, i, i+1)
	return key, nil
}

func (f *fakeSession) Ignored() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ignored)
}

// resolve finds a key: a 0x04… key is taken as it is, a name is looked up
// among the senders of stored messages; f.mu must be held.
func (f *fakeSession) resolve(keyOrName string) string {
	if strings.HasPrefix(keyOrName, "0x04") {
		return keyOrName
	}
	for _, msgs := range f.messages {
		for _, m := range msgs {
			if strings.EqualFold(m.SenderName, keyOrName) {
				return m.Sender
			}
		}
	}
	return ""
}
