package session

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"hush/codec"
	"hush/codec/alias"
)

// BenchmarkSenderNames measures what naming a sender costs per message
// shown: the three-word name computed from the key (unmarshalling the curve
// point, then the register) against the session's cache of it, and the
// mention check every incoming line gets.
//
//	go test -run '^$' -bench BenchmarkSenderNames -benchtime 20000x ./session/
func BenchmarkSenderNames(b *testing.B) {
	k, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	key := codec.PublicKeyHex(&k.PublicKey)
	self, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	selfKey := codec.PublicKeyHex(&self.PublicKey)
	m := &Manager{
		self:    Identity{PublicKey: selfKey, Name: alias.Name(&self.PublicKey)},
		ownName: "Alice",
		aliases: make(map[string]string),
	}
	b.Run("computed", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := alias.FromKey(key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		m.aliasOf(key)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			m.aliasOf(key)
		}
	})
	text := strings.Repeat("a line of chat that names nobody in particular, ", 4) + "0x04abcdef0123"
	b.Run("mention-check", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if m.mentions(text) {
				b.Fatal("mention")
			}
		}
	})
}
