package api

import (
	"context"
	"crypto/ecdsa"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/rpc"

	"hush/session"
	"hush/store"
	"hush/whisper"
)

const waitTimeout = 60 * time.Second

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// peer is a session on its own embedded node, stopped when the test ends.
type peer struct {
	node *whisper.Node
	mgr  *session.Manager
}

func startPeer(t *testing.T, peers ...*enode.Node) *peer {
	t.Helper()
	var keys [2]*ecdsa.PrivateKey
	for i := range keys {
		k, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "hush.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	node, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: keys[0], Peers: peers})
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	mgr, err := session.New(session.Config{Identity: keys[1], Node: node, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := mgr.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mgr.Stop()
		node.Stop()
		st.Close()
	})
	return &peer{node: node, mgr: mgr}
}

func texts(t *testing.T, m *session.Manager, chat string) []string {
	t.Helper()
	ms, err := m.Latest(chat, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, msg := range ms {
		out = append(out, msg.Text)
	}
	return out
}

// serveAPI runs the API over p's session with no UI (hush serve --api) and
// dials it.
func serveAPI(t *testing.T, p *peer) (*rpc.Client, string) {
	t.Helper()
	// The session's only reader is the fan-out: a headless session has no
	// primary reader.
	fan := session.NewFanout(p.mgr.Events(), false)
	srv, err := New(Config{Session: p.mgr, Events: fan})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "api.sock")
	if err := srv.Listen(path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		fan.Stop()
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := rpc.DialIPC(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, path
}

// TestEchoBot: a headless bot over the API gets a line another session
// sends, in a public chat and one to one, and answers it; the other
// session shows the answers.
func TestEchoBot(t *testing.T) {
	alice := startPeer(t)
	bot := startPeer(t, alice.node.Enode())
	waitFor(t, "peers", func() bool { return alice.node.PeerCount() == 1 && bot.node.PeerCount() == 1 })
	api, path := serveAPI(t, bot)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("api socket: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}

	var chat Chat
	if err := api.Call(&chat, "hush_join", "#bots"); err != nil || chat.ID != "bots" || chat.Kind != "public" {
		t.Fatalf("hush_join: %+v, %v", chat, err)
	}
	var me Identity
	if err := api.Call(&me, "hush_whoami"); err != nil || me.PublicKey != bot.mgr.Self().PublicKey {
		t.Fatalf("hush_whoami: %+v, %v", me, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	msgs := make(chan Message, 16)
	sub, err := api.Subscribe(ctx, "hush", msgs, "messages")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	// The bot: echo every line that is not its own.
	botDone := make(chan error, 1)
	go func() {
		for {
			select {
			case m := <-msgs:
				if m.Outgoing {
					continue
				}
				if err := api.Call(nil, "hush_send", m.Chat, "echo: "+m.Text); err != nil {
					botDone <- err
					return
				}
			case err := <-sub.Err():
				botDone <- err
				return
			}
		}
	}()

	if _, err := alice.mgr.JoinPublic("#bots"); err != nil {
		t.Fatal(err)
	}
	if err := alice.mgr.Send("bots", "ping"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bot's public answer", func() bool { return slices.Equal(texts(t, alice.mgr, "bots"), []string{"ping", "echo: ping"}) })

	if _, err := alice.mgr.OpenPrivate(me.PublicKey); err != nil {
		t.Fatal(err)
	}
	if err := alice.mgr.Send(me.PublicKey, "hello bot"); err != nil {
		t.Fatal(err)
	}
	alicePub := alice.mgr.Self().PublicKey
	waitFor(t, "the bot's private answer", func() bool {
		return slices.Equal(texts(t, alice.mgr, me.PublicKey), []string{"hello bot", "echo: hello bot"})
	})

	var chats []Chat
	if err := api.Call(&chats, "hush_chats"); err != nil {
		t.Fatal(err)
	}
	if len(chats) != 2 || !slices.ContainsFunc(chats, func(c Chat) bool { return c.ID == alicePub && c.Kind == "one-to-one" }) {
		t.Fatalf("hush_chats: %+v", chats)
	}
	var page []Message
	if err := api.Call(&page, "hush_messages", "bots", "", 10); err != nil || len(page) != 2 || page[1].Text != "echo: ping" || !page[1].Outgoing {
		t.Fatalf("hush_messages: %+v, %v", page, err)
	}
	var older []Message
	if err := api.Call(&older, "hush_messages", "bots", page[1].ID, 10); err != nil || len(older) != 1 || older[0].Text != "ping" {
		t.Fatalf("hush_messages before %s: %+v, %v", page[1].ID, older, err)
	}
	var left bool
	if err := api.Call(&left, "hush_leave", "bots"); err != nil || !left {
		t.Fatalf("hush_leave: %v, %v", left, err)
	}
	if err := api.Call(nil, "hush_send", "nosuchchat", "x"); err == nil {
		t.Fatalf("hush_send to an unknown chat: %v", err)
	}
	select {
	case err := <-botDone:
		t.Fatalf("bot stopped: %v", err)
	default:
	}
}
