package store

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"testing"
)

func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hush.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func mustJoin(t testing.TB, s *Store, id string, kind ChatKind) Chat {
	t.Helper()
	c, err := s.JoinChat(id, kind)
	if err != nil {
		t.Fatalf("JoinChat(%q): %v", id, err)
	}
	return c
}

// hashOf gives distinct, unordered 32-byte values, so that id order in tests
// differs from insertion order.
func hashOf(parts ...any) [32]byte {
	return sha256.Sum256(fmt.Append(nil, parts...))
}

// testSender is a fixed 65-byte key-shaped sender.
func testSender(n int) []byte {
	b := make([]byte, 65)
	b[0] = 0x04
	binary.BigEndian.PutUint64(b[1:], uint64(n))
	return b
}

func newMessage(chat string, n int, clock int64) Message {
	return Message{
		ID:          hashOf("msg", chat, n),
		ChatID:      chat,
		Sender:      testSender(n % 7),
		Clock:       clock,
		Timestamp:   clock / 100,
		ContentType: "text/plain",
		MessageType: "public-group-user-message",
		Text:        fmt.Sprintf("message %d in %s", n, chat),
		Payload:     fmt.Appendf(nil, "payload-%d", n),
	}
}

func mustAdd(t testing.TB, s *Store, m Message) {
	t.Helper()
	added, err := s.AddMessage(m)
	if err != nil {
		t.Fatalf("AddMessage(%x): %v", m.ID[:4], err)
	}
	if !added {
		t.Fatalf("AddMessage(%x) reported a duplicate", m.ID[:4])
	}
}

func ids(ms []Message) [][32]byte {
	out := make([][32]byte, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}
