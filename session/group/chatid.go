package group

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
)

// maxChatIDPrefix bounds what may stand before the creator's key in a chat
// id: a UUID (36), or a UUID and "-" (37), with room to spare.
const maxChatIDPrefix = 64

// NewChatID makes the id of a group creator starts: a random UUID followed
// by the creator's "0x04…" key, with no separator, as status-react wrote it
// (PROTOCOL.md §8.2).
func NewChatID(creator string) (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", fmt.Errorf("new group id: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x%s", u[0:4], u[4:6], u[6:8], u[8:10], u[10:], creator), nil
}

// CheckChatID applies the chat id rule: the id ends with the creator's key
// and is not only the key. Both the status-react form (uuid + key) and the
// status-protocol-go form (uuid + "-" + key) pass.
func CheckChatID(chatID, creator string) error {
	if creator == "" || !strings.HasSuffix(chatID, creator) {
		return fmt.Errorf("chat id %.80q does not end with its creator's key %.20s…", chatID, creator)
	}
	prefix := strings.TrimSuffix(chatID, creator)
	if prefix == "" {
		return errors.New("chat id is only its creator's key")
	}
	if len(prefix) > maxChatIDPrefix {
		return fmt.Errorf("chat id has %d characters before the creator's key, limit %d", len(prefix), maxChatIDPrefix)
	}
	return nil
}
