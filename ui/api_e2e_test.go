package ui

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/rpc"

	"hush/session"
	"hush/session/api"
)

// TestBotAnswersTheTerminal: a headless bot (hush serve --api: a session
// with no UI, driven through the scripting API's socket) gets a line typed
// into a real UI on a simulation screen, and answers; the answer shows on
// the screen.
func TestBotAnswersTheTerminal(t *testing.T) {
	bot := newRealClient(t)
	fan := session.NewFanout(bot.mgr.Events(), false) // headless: no primary reader
	sock := serveAPI(t, bot, fan)
	me := newRealClient(t, bot.node.Enode())
	waitConnected(t, me, bot)

	// The bot, as a script would write it.
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, err := rpc.DialIPC(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Call(nil, "hush_join", "#bots"); err != nil {
		t.Fatal(err)
	}
	msgs := make(chan api.Message, 16)
	sub, err := c.Subscribe(ctx, "hush", msgs, "messages")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	go func() {
		for {
			select {
			case m := <-msgs:
				if !m.Outgoing && m.Text != "" {
					c.Call(nil, "hush_send", m.Chat, "echo: "+m.Text)
				}
			case <-sub.Err():
				return
			}
		}
	}()

	h := runUI(t, me.mgr, 100, 20)
	h.enter("/join bots")
	h.waitScreen("#bots")
	h.enter("ping from the terminal")
	h.waitScreen("me", "ping from the terminal")
	h.waitScreen("echo: ping from the terminal")
}

// fanned is the session as the UI sees it beside the scripting API (hush
// --api): events come through the fan-out's primary channel.
type fanned struct {
	*session.Manager
	events <-chan session.Event
}

func (f fanned) Events() <-chan session.Event { return f.events }

// TestScriptBesideTheTerminal: with --api beside the UI, a script sends
// into the chat the terminal shows, and reads what was typed there; the
// UI gets every event through the fan-out.
func TestScriptBesideTheTerminal(t *testing.T) {
	me := newRealClient(t)
	fan := session.NewFanout(me.mgr.Events(), true)
	sock := serveAPI(t, me, fan)
	h := runUI(t, fanned{Manager: me.mgr, events: fan.Events()}, 100, 20)
	h.enter("/join status")
	h.waitScreen("#status")

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, err := rpc.DialIPC(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CallContext(ctx, nil, "hush_send", "status", "written by a script"); err != nil {
		t.Fatal(err)
	}
	h.waitScreen("me", "written by a script")
	h.enter("typed in the terminal")
	h.waitScreen("me", "typed in the terminal")
	var ms []api.Message
	if err := c.CallContext(ctx, &ms, "hush_messages", "status", "", 10); err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Text != "written by a script" || ms[1].Text != "typed in the terminal" {
		t.Fatalf("hush_messages: %+v", ms)
	}
}

// serveAPI serves c's session's scripting API on a socket in a temp dir,
// with fan giving its events; both stop with the test.
func serveAPI(t *testing.T, c *realClient, fan *session.Fanout) string {
	t.Helper()
	srv, err := api.New(api.Config{Session: c.mgr, Events: fan})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "api.sock")
	if err := srv.Listen(sock); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		fan.Stop()
	})
	return sock
}
