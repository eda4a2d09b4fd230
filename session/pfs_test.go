package session

import (
	"bytes"
	"crypto/ecdsa"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/ecies"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/whisper/whisperv6"
	"google.golang.org/protobuf/proto"

	"hush/codec"
	"hush/session/encryption"
	"hush/store"
	"hush/whisper/mailserver"
)

// End-to-end tests of the encryption stage (PROTOCOL.md §7): two hush
// clients over an in-process `hush serve` (relay and mailserver).

// pfsNet starts a mailserver node and the options of clients that use it.
func pfsNet(t *testing.T) (*mailserverNode, clientOptions) {
	t.Helper()
	ms := newMailserverNode(t, mailserver.Config{})
	return ms, clientOptions{peers: []*enode.Node{ms.node.Enode()}, mailservers: []Mailserver{ms.mailserver()}}
}

// say sends text from c to peer and waits until peer stores it.
func say(t *testing.T, from, to *client, text string) {
	t.Helper()
	if err := from.mgr.Send(to.key(), text); err != nil {
		t.Fatal(err)
	}
	waitFor(t, fmt.Sprintf("%q on the other side", text), func() bool {
		return slices.Contains(to.texts(from.key()), text)
	})
}

// establishPFS exchanges messages until each side encrypts to the other
// with a confirmed double ratchet. It returns how many rounds it took.
func establishPFS(t *testing.T, a, b *client) int {
	t.Helper()
	if _, err := a.mgr.OpenPrivate(b.key()); err != nil {
		t.Fatal(err)
	}
	for round := range 6 {
		say(t, a, b, fmt.Sprintf("a round %d", round))
		say(t, b, a, fmt.Sprintf("b round %d", round))
		if a.mgr.enc.KindFor(&b.id.PublicKey) == encryption.DoubleRatchet &&
			b.mgr.enc.KindFor(&a.id.PublicKey) == encryption.DoubleRatchet {
			return round + 1
		}
	}
	t.Fatalf("no double ratchet after 6 rounds: A→B %s, B→A %s",
		a.mgr.enc.KindFor(&b.id.PublicKey), b.mgr.enc.KindFor(&a.id.PublicKey))
	return 0
}

// sentEnvelope is the hash of the envelope that carried our message with
// text to peer (the last post of it).
func sentEnvelope(t *testing.T, c *client, peer, text string) [32]byte {
	t.Helper()
	var hash [32]byte
	waitFor(t, "envelope hash of "+text, func() bool {
		ms, err := c.mgr.Latest(peer, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Outgoing && m.Text == text {
				id, _ := parseID(m.ID)
				sm, _, err := c.store.Message(id)
				if err != nil {
					t.Fatal(err)
				}
				hash = sm.EnvelopeHash
				return hash != [32]byte{}
			}
		}
		return false
	})
	return hash
}

// archivedEnvelope fetches an envelope from the mailserver's archive.
func archivedEnvelope(t *testing.T, ms *mailserverNode, hash [32]byte) *whisperv6.Envelope {
	t.Helper()
	var found *whisperv6.Envelope
	waitFor(t, fmt.Sprintf("envelope %x in the archive", hash[:4]), func() bool {
		err := ms.archive.ArchiveScan(nil, nil, func(_, raw []byte) bool {
			var env whisperv6.Envelope
			if err := rlp.DecodeBytes(raw, &env); err != nil {
				t.Fatalf("archived envelope: %v", err)
			}
			if [32]byte(env.Hash()) == hash {
				found = &env
				return false
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		return found != nil
	})
	return found
}

// openWithLongTermKeys opens an envelope as an attacker holding the
// recipient's long-term key would: with that key (ECIES), or with the key
// of the topic negotiated between the two identities, which that key also
// gives.
func openWithLongTermKeys(t *testing.T, env *whisperv6.Envelope, recipient *ecdsa.PrivateKey, sender *ecdsa.PublicKey) []byte {
	t.Helper()
	if msg, err := env.OpenAsymmetric(recipient); err == nil && msg.ValidateAndParse() {
		return msg.Payload
	}
	secret, err := ecies.ImportECDSA(recipient).GenerateShared(ecies.ImportECDSAPublic(sender), 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	key := codec.SymKeyFromPassword(codec.NegotiatedTopicName(secret))
	if msg, err := env.OpenSymmetric(key); err == nil && msg.ValidateAndParse() {
		return msg.Payload
	}
	t.Fatal("the recipient's long-term key opens neither the envelope nor its negotiated topic")
	return nil
}

// assertUnreadable checks that a payload, opened with the long-term keys,
// is a double-ratchet ProtocolMessage in which text cannot be found.
func assertUnreadable(t *testing.T, payload []byte, text string) {
	t.Helper()
	if bytes.Contains(payload, []byte(text)) {
		t.Fatalf("%q readable in the envelope opened with the long-term key", text)
	}
	if _, err := codec.Decode(payload); err == nil {
		t.Fatal("the envelope's payload decodes as a chat record")
	}
	var pm encryption.ProtocolMessage
	if err := proto.Unmarshal(payload, &pm); err != nil || len(pm.DirectMessage) == 0 {
		t.Fatalf("not a direct ProtocolMessage (%v)", err)
	}
	for inst, dm := range pm.DirectMessage {
		if dm.DRHeader == nil || dm.X3DHHeader != nil || dm.DHHeader != nil {
			t.Fatalf("entry for %s is not a confirmed double-ratchet message: %v", inst, dm)
		}
	}
}

// checkDR finds the envelope of from's message text to to in the archive
// and checks that to's long-term key does not read it.
func checkDR(t *testing.T, ms *mailserverNode, from, to *client, text string) {
	t.Helper()
	env := archivedEnvelope(t, ms, sentEnvelope(t, from, to.key(), text))
	assertUnreadable(t, openWithLongTermKeys(t, env, to.id, &from.id.PublicKey), text)
}

// TestPFSBothWaysAcrossRestarts (issue 9, acceptance 2): the first
// exchange establishes sessions; from then on messages both ways are
// double ratchet (the envelope opened with the recipient's long-term key
// shows no text), also after either side restarts. The chat shows PFS.
func TestPFSBothWaysAcrossRestarts(t *testing.T) {
	ms, opts := pfsNet(t)
	a, b := newClient(t, opts), newClient(t, opts)
	waitPeers(t, 1, a, b)
	rounds := establishPFS(t, a, b)
	t.Logf("double ratchet both ways after %d rounds", rounds)

	say(t, a, b, "a secret 1")
	checkDR(t, ms, a, b, "a secret 1")
	say(t, b, a, "b secret 1")
	checkDR(t, ms, b, a, "b secret 1")
	for _, c := range []struct{ c, peer *client }{{a, b}, {b, a}} {
		info, err := c.c.mgr.Info(c.peer.key())
		if err != nil {
			t.Fatal(err)
		}
		if info.Encryption != "PFS" || len(info.Installations) != 1 ||
			info.Installations[0].ID != c.peer.mgr.Self().Installation || !strings.HasPrefix(info.Topic, "negotiated ") {
			t.Fatalf("info: %+v", info)
		}
	}
	received := func(c *client, peer, text string) Message {
		var got Message
		// Events trail the store: wait for the announcement.
		waitFor(t, fmt.Sprintf("the event for %q", text), func() bool {
			for _, m := range c.events.added(peer) {
				if m.Text == text {
					got = m
					return true
				}
			}
			return false
		})
		return got
	}
	if m := received(b, a.key(), "a secret 1"); m.Encryption != encryption.DoubleRatchet.String() {
		t.Fatalf("B's message event says %q", m.Encryption)
	}

	b.restart(opts)
	waitPeers(t, 1, b)
	say(t, a, b, "a after B restarted")
	checkDR(t, ms, a, b, "a after B restarted")
	say(t, b, a, "b after B restarted")
	checkDR(t, ms, b, a, "b after B restarted")

	a.restart(opts)
	waitPeers(t, 1, a)
	say(t, a, b, "a after A restarted")
	checkDR(t, ms, a, b, "a after A restarted")
	say(t, b, a, "b after A restarted")
	checkDR(t, ms, b, a, "b after A restarted")

	for _, c := range []*client{a, b} {
		if n := c.mgr.dropped.Load(); n != 0 {
			t.Errorf("%s dropped %d messages", c.mgr.Self().ShortName, n)
		}
	}
}

// TestPFSOfflineFromMailserver (issue 9, acceptance 5): 500 double-ratchet
// messages sent while the recipient is away reach it from the mailserver
// and decrypt, in order, once each.
func TestPFSOfflineFromMailserver(t *testing.T) {
	if testing.Short() {
		t.Skip("500 messages")
	}
	ms, opts := pfsNet(t)
	a, b := newClient(t, opts), newClient(t, opts)
	waitPeers(t, 1, a, b)
	establishPFS(t, a, b)
	before := len(b.texts(a.key()))

	b.stop()
	const n = 500
	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("offline %03d", i)
		if err := a.mgr.Send(b.key(), want[i]); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "all 500 stored by the mailserver", func() bool {
		ms, err := a.mgr.Latest(b.key(), n)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.State != Stored {
				return false
			}
		}
		return len(ms) == n
	})
	checkDR(t, ms, a, b, want[0])
	checkDR(t, ms, a, b, want[n-1])

	b.start(opts)
	waitFor(t, "500 offline messages on B", func() bool { return len(b.texts(a.key())) >= before+n })
	got := b.texts(a.key())[before:]
	if !slices.Equal(got, want) {
		t.Fatalf("B shows %d messages, first %q last %q", len(got), got[0], got[len(got)-1])
	}
	kinds := map[string]int{}
	for _, m := range b.events.added(a.key()) {
		if strings.HasPrefix(m.Text, "offline ") {
			kinds[m.Encryption]++
		}
	}
	if kinds[encryption.DoubleRatchet.String()] != n {
		t.Fatalf("offline messages arrived as %v, want all %d double ratchet", kinds, n)
	}
	if d := b.mgr.dropped.Load(); d != 0 {
		t.Fatalf("B dropped %d messages", d)
	}
}

// snapshotSecrets copies a stopped client's encryption state (the secrets
// table and its installation id) into a fresh data dir, with no messages.
func snapshotSecrets(t *testing.T, from *client) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "hush.db")
	st, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // ATTACH is per connection
	for _, q := range []string{
		fmt.Sprintf("ATTACH DATABASE '%s' AS src", filepath.Join(from.dir, "hush.db")),
		"INSERT INTO secrets SELECT ns, key, value FROM src.secrets",
		"INSERT OR REPLACE INTO settings SELECT name, value FROM src.settings",
		"DETACH DATABASE src",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return dir
}

// clientInDir starts a client on a prepared data dir.
func clientInDir(t *testing.T, dir string, id *ecdsa.PrivateKey, opts clientOptions) *client {
	t.Helper()
	nodeKey, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, dir: dir, id: id, nodeKey: nodeKey}
	c.start(opts)
	t.Cleanup(c.stop)
	return c
}

// refetch opens the chat with peer on c, which asks the mailserver for
// the last day of it, and waits until that request has ended.
func refetch(t *testing.T, c *client, peer string) {
	t.Helper()
	if _, err := c.mgr.OpenPrivate(peer); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "history of the chat fetched", func() bool {
		ended, errText, _ := c.events.syncEnded(peer)
		if ended && errText != "" {
			t.Fatalf("history request failed: %s", errText)
		}
		return ended
	})
}

// TestPFSForwardSecrecy (issue 9, acceptance 3): a copy of B's ratchet
// state taken after message N cannot decrypt messages 1..N-1 fetched
// again from the mailserver's archive, while a copy taken before them can
// (so it is the used keys' deletion that stops the first, not the fetch).
func TestPFSForwardSecrecy(t *testing.T) {
	ms, opts := pfsNet(t)
	a, b := newClient(t, opts), newClient(t, opts)
	waitPeers(t, 1, a, b)
	establishPFS(t, a, b)

	b.stop()
	before := snapshotSecrets(t, b)
	b.start(opts)
	waitPeers(t, 1, b)
	const n = 5
	var lines []string
	for i := 1; i <= n; i++ {
		lines = append(lines, fmt.Sprintf("forward secret %d", i))
		say(t, a, b, lines[i-1])
		checkDR(t, ms, a, b, lines[i-1])
	}
	b.stop()
	after := snapshotSecrets(t, b)

	// The state after message N: every one of 1..N-1 (and N) comes back
	// from the archive, and none decrypts.
	late := clientInDir(t, after, b.id, opts)
	refetch(t, late, a.key())
	got := late.texts(a.key())
	for _, l := range lines {
		if slices.Contains(got, l) {
			t.Fatalf("state after message %d decrypted %q", n, l)
		}
	}
	// The request ends when its pages are handed over; their drops are
	// counted as the receive loop reaches them.
	waitFor(t, fmt.Sprintf("the copy to drop the %d messages it cannot read", n), func() bool {
		return late.mgr.dropped.Load() >= n
	})
	waitFor(t, "the failures shown in the chat", func() bool { return hasNotice(late, a.key(), "could not be decrypted") })
	late.stop()

	// The state from before them reads them all from the same archive.
	early := clientInDir(t, before, b.id, opts)
	refetch(t, early, a.key())
	waitFor(t, "the early copy decrypts the messages", func() bool {
		got := early.texts(a.key())
		for _, l := range lines {
			if !slices.Contains(got, l) {
				return false
			}
		}
		return true
	})
}
