package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/rpc"

	"hush/session"
)

// Chat is a chat as the API reports it.
type Chat struct {
	ID     string `json:"id"`   // public: the name; one to one: the other key, 0x04…
	Kind   string `json:"kind"` // "public" or "one-to-one"
	Name   string `json:"name"`
	Unread int    `json:"unread"`
}

// Message is a message as the API reports it.
type Message struct {
	ID          string `json:"id"`
	Chat        string `json:"chat"`
	Sender      string `json:"sender"`
	SenderName  string `json:"senderName"`
	Outgoing    bool   `json:"outgoing"` // ours: a bot skips these, or it answers itself
	Clock       int64  `json:"clock"`
	Time        int64  `json:"time"` // unix milliseconds
	ContentType string `json:"contentType"`
	Text        string `json:"text"`
	State       string `json:"state"`
	History     bool   `json:"history,omitempty"` // came from a mailserver
}

// Identity is hush_whoami's answer.
type Identity struct {
	PublicKey string `json:"publicKey"`
	ShortName string `json:"shortName"`
	Enode     string `json:"enode,omitempty"`
}

// Dropped is the notification a subscriber gets after it fell behind.
type Dropped struct {
	Dropped int `json:"dropped"` // notifications it missed; hush_messages has them
}

func toChat(c session.Chat) Chat {
	kind := "public"
	if c.Kind == session.OneToOne {
		kind = "one-to-one"
	}
	return Chat{ID: c.ID, Kind: kind, Name: c.Name, Unread: c.Unread}
}

func toMessage(m session.Message, history bool) Message {
	return Message{
		ID: m.ID, Chat: m.ChatID, Sender: m.Sender, SenderName: m.SenderName, Outgoing: m.Outgoing,
		Clock: m.Clock, Time: m.Time.UnixMilli(), ContentType: m.ContentType, Text: m.Text,
		State: m.State.String(), History: history,
	}
}

// calls are the API's plain methods.
type calls struct{ s *Server }

// Join joins a public chat ("#name" or "name") or opens a one-to-one chat
// ("0x04…", or "@name" for a known contact).
func (c *calls) Join(chat string) (Chat, error) {
	chat = strings.TrimSpace(chat)
	var (
		got session.Chat
		err error
	)
	switch {
	case strings.HasPrefix(chat, "0x04") || strings.HasPrefix(chat, "04") && len(chat) == 130:
		got, err = c.s.cfg.Session.OpenPrivate(chat)
	case strings.HasPrefix(chat, "@"):
		got, err = c.s.cfg.Session.OpenPrivate(strings.TrimPrefix(chat, "@"))
	default:
		got, err = c.s.cfg.Session.JoinPublic(chat)
	}
	if err != nil {
		return Chat{}, err
	}
	return toChat(got), nil
}

// Leave leaves a chat by its id.
func (c *calls) Leave(chat string) (bool, error) {
	if err := c.s.cfg.Session.Leave(chat); err != nil {
		return false, err
	}
	return true, nil
}

// Chats lists the joined chats.
func (c *calls) Chats() []Chat {
	chats := c.s.cfg.Session.Chats()
	out := make([]Chat, len(chats))
	for i, ch := range chats {
		out[i] = toChat(ch)
	}
	return out
}

// Send sends text to a joined chat by its id. It returns once the message
// is stored; delivery goes on in the background.
func (c *calls) Send(chat, text string) (bool, error) {
	if err := c.s.cfg.Session.Send(chat, text); err != nil {
		return false, err
	}
	return true, nil
}

// Messages returns up to limit messages of a chat, oldest first: the
// newest when before is "", else those just older than message before.
func (c *calls) Messages(chat, before string, limit int) ([]Message, error) {
	var (
		ms  []session.Message
		err error
	)
	if before == "" {
		ms, err = c.s.cfg.Session.Latest(chat, limit)
	} else {
		m, ok, lerr := c.s.cfg.Session.Message(before)
		switch {
		case lerr != nil:
			return nil, lerr
		case !ok || m.ChatID != chat:
			return nil, fmt.Errorf("no message %s in %s", before, chat)
		}
		ms, err = c.s.cfg.Session.Before(chat, m, limit)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Message, len(ms))
	for i, m := range ms {
		out[i] = toMessage(m, false)
	}
	return out, nil
}

// Whoami is our identity.
func (c *calls) Whoami() Identity {
	self := c.s.cfg.Session.Self()
	return Identity{PublicKey: self.PublicKey, ShortName: self.ShortName, Enode: self.Enode}
}

// subscriptions are the API's subscriptions.
type subscriptions struct{ s *Server }

// Messages is hush_subscribe("messages"): every new message of every chat,
// ours too (outgoing true), live or from history, as a notification each.
func (sb *subscriptions) Messages(ctx context.Context) (*rpc.Subscription, error) {
	notifier, ok := rpc.NotifierFromContext(ctx)
	if !ok {
		return nil, rpc.ErrNotificationsUnsupported
	}
	sub := notifier.CreateSubscription()
	events := sb.s.cfg.Events.Subscribe(subBuffer)
	sb.s.wg.Add(1)
	go func() {
		defer sb.s.wg.Done()
		defer events.Close()
		for {
			select {
			case ev := <-events.Events():
				if err := sb.notify(notifier, sub, ev); err != nil {
					return
				}
			case <-sub.Err():
				return
			case <-notifier.Closed():
				return
			case <-sb.s.quit:
				return
			}
		}
	}()
	return sub, nil
}

func (sb *subscriptions) notify(n *rpc.Notifier, sub *rpc.Subscription, ev session.Event) error {
	switch ev := ev.(type) {
	case session.MessagesAdded:
		for _, m := range ev.Messages {
			if err := n.Notify(sub.ID, toMessage(m, ev.History)); err != nil {
				return err
			}
		}
	case session.EventsDropped:
		sb.s.log.Warn("api subscriber fell behind; notifications dropped", "count", ev.Count)
		return n.Notify(sub.ID, Dropped{Dropped: ev.Count})
	}
	return nil
}
