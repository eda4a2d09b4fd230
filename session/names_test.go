package session

import (
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/codec"
	"hush/codec/alias"
)

func mustAlias(t *testing.T, key string) string {
	t.Helper()
	name, err := alias.FromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

func newKeyHex(t *testing.T) string {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return codec.PublicKeyHex(&k.PublicKey)
}

// TestThreeWordNames: a key without a nickname or network name goes by its
// three-word name in the chat list, in messages and in Self, and /msg finds
// it by that name in any case and spacing.
func TestThreeWordNames(t *testing.T) {
	a := newClient(t, clientOptions{})
	if self := a.mgr.Self(); self.Name != mustAlias(t, self.PublicKey) {
		t.Fatalf("Self().Name = %q, want %q", self.Name, mustAlias(t, self.PublicKey))
	}
	peer := newKeyHex(t)
	name := mustAlias(t, peer)
	chat, err := a.mgr.OpenPrivate(peer)
	if err != nil {
		t.Fatal(err)
	}
	if chat.Name != name {
		t.Fatalf("chat name %q, want %q", chat.Name, name)
	}
	if err := a.mgr.Send(peer, "hello"); err != nil {
		t.Fatal(err)
	}
	msgs, err := a.mgr.Latest(peer, 1)
	if err != nil || len(msgs) != 1 || msgs[0].SenderName != "me" {
		t.Fatalf("own message %+v, %v", msgs, err)
	}
	if got := a.mgr.displayName(peer); got != name {
		t.Fatalf("displayName = %q, want %q", got, name)
	}
	for _, in := range []string{name, strings.ToLower(name), "  " + strings.ReplaceAll(name, " ", "  ") + " ", "@" + name} {
		got, err := a.mgr.resolveContact(in)
		if err != nil || got != peer {
			t.Errorf("resolveContact(%q) = %q, %v; want %s", in, got, err, peer)
		}
	}
	// "~" asks for a name the key gave itself, which it has not.
	if _, err := a.mgr.resolveContact("~" + name); err == nil {
		t.Errorf("~%s resolved to a three-word name", name)
	}
}

// TestResolveNamePrecedence: our nickname wins over names others chose
// (their network name or another key's three-word name); a name that fits
// two keys on the same footing is one clear error.
func TestResolveNamePrecedence(t *testing.T) {
	a := newClient(t, clientOptions{})
	friend, other, impostor := newKeyHex(t), newKeyHex(t), newKeyHex(t)
	for _, k := range []string{friend, other, impostor} {
		if _, err := a.mgr.OpenPrivate(k); err != nil {
			t.Fatal(err)
		}
	}
	otherName := mustAlias(t, other)
	// The impostor claims other's three-word name as its display name.
	a.mgr.learnName(impostor, otherName, time.Now())
	_, err := a.mgr.resolveContact(otherName)
	if err == nil || !strings.Contains(err.Error(), "2 people go by") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("ambiguous name: %v", err)
	}
	if got, err := a.mgr.resolveContact("~" + otherName); err != nil || got != impostor {
		t.Fatalf("~name = %q, %v; want the impostor", got, err)
	}
	// A nickname is ours: it picks one key even where others' names clash.
	if err := a.mgr.SetNickname(friend, otherName); err != nil {
		t.Fatal(err)
	}
	if got, err := a.mgr.resolveContact(otherName); err != nil || got != friend {
		t.Fatalf("nickname = %q, %v; want the friend", got, err)
	}
}

// TestIgnoreStrangerByThreeWordName: a key that opened a chat with us, which
// we know only by its three-word name, can be ignored by that name: its
// chat is left.
func TestIgnoreStrangerByThreeWordName(t *testing.T) {
	a := newClient(t, clientOptions{})
	b := newClient(t, clientOptions{peers: []*enode.Node{a.node.Enode()}})
	waitPeers(t, 1, a, b)
	if _, err := b.mgr.OpenPrivate(a.key()); err != nil {
		t.Fatal(err)
	}
	if err := b.mgr.Send(a.key(), "buy my coins"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stranger's chat on A", func() bool { return len(a.texts(b.key())) == 1 })
	key, err := a.mgr.Ignore(strings.ToLower(mustAlias(t, b.key())))
	if err != nil || key != b.key() {
		t.Fatalf("Ignore = %q, %v", key, err)
	}
	for _, c := range a.mgr.Chats() {
		if c.ID == b.key() {
			t.Fatal("the stranger's chat is still listed")
		}
	}
}
