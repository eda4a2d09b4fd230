package session

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/whisper/mailserver"
)

// TestCatchUpOnEveryCore: a catch-up of three chats in pages of 100 (each
// page after the first starts with the last envelope of the one before),
// read by one open worker and by more workers than cores. Either way every
// message is stored once, the chats show them in clock order, each chat's
// clock ends at its highest message clock, and the synced-to marks moved.
func TestCatchUpOnEveryCore(t *testing.T) {
	const perChat = 400
	chats := []string{"cores-a", "cores-b", "cores-c"}
	ms := newMailserverNode(t, mailserver.Config{RateLimit: -1})
	author, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, chat := range chats {
		archiveMessages(t, ms.archive, author, chat, perChat, now.Add(-90*time.Minute), now.Add(-time.Minute))
	}
	ms.archived(t, perChat*int64(len(chats)))

	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprintf("workers-%d", workers), func(t *testing.T) {
			c := newClient(t, clientOptions{
				peers:       []*enode.Node{ms.node.Enode()},
				mailservers: []Mailserver{ms.mailserver()},
				openWorkers: workers,
				tune:        func(tu *syncTuning) { tu.pageLimit = 100 },
			})
			for _, chat := range chats {
				if _, err := c.mgr.JoinPublic(chat); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "every chat synced", func() bool {
				for _, chat := range chats {
					if ended, _, _ := c.events.syncEnded(chat); !ended {
						return false
					}
				}
				return true
			})
			for _, chat := range chats {
				if ended, errText, _ := c.events.syncEnded(chat); errText != "" {
					t.Fatalf("%s: sync ended with %q (ended %v)", chat, errText, ended)
				}
				if n, err := c.store.CountMessages(chat); err != nil || n != perChat {
					t.Fatalf("%s: %d stored (%v), want %d", chat, n, err, perChat)
				}
				want := make([]string, perChat)
				for i := range want {
					want[i] = fmt.Sprintf("archived %04d", i)
				}
				if got := c.texts(chat); !slices.Equal(got, want) {
					t.Fatalf("%s shows %d texts, not the %d archived in clock order: %q…", chat, len(got), perChat, got[:min(5, len(got))])
				}
				msgs, err := c.mgr.Latest(chat, perChat)
				if err != nil {
					t.Fatal(err)
				}
				seen := make(map[string]bool)
				var highest int64
				for _, m := range msgs {
					if seen[m.ID] {
						t.Fatalf("%s: message %s twice", chat, m.ID)
					}
					seen[m.ID] = true
					highest = max(highest, m.Clock)
				}
				st, ok, err := c.store.Chat(chat)
				if err != nil || !ok {
					t.Fatalf("%s: chat %v %v", chat, ok, err)
				}
				if st.LastClock != highest || highest == 0 {
					t.Fatalf("%s: chat clock %d, highest message clock %d", chat, st.LastClock, highest)
				}
				if st.SyncedTo == 0 {
					t.Fatalf("%s: synced-to mark never moved", chat)
				}
			}
		})
	}
}
