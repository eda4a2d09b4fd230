package ui

import (
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"hush/session"
)

// TestEncryptionIndicatorInfoAndDecryptLine: the status line marks how the
// one-to-one chat on screen is encrypted; /info lists the kind, the peer's
// devices and the topic; a message that could not be decrypted shows as a
// red line in its chat when on screen, on the status line otherwise.
func TestEncryptionIndicatorInfoAndDecryptLine(t *testing.T) {
	bob := session.Chat{ID: "0x04b0b", Kind: session.OneToOne, Name: "bob", Encryption: "PFS"}
	carol := session.Chat{ID: "0x04ca701", Kind: session.OneToOne, Name: "carol", Encryption: "plain"}
	fake := newFakeSession(bob, carol)
	fake.infos = map[string]session.ChatInfo{bob.ID: {
		ChatID: bob.ID, Kind: session.OneToOne, Encryption: "PFS", EncryptionDetail: "double ratchet",
		LastReceived:  "double ratchet",
		Installations: []session.InstallationInfo{{ID: "5e0f0c1a-0d7e-4b8e-9a51-3c7d1f2e9b40", ProtocolVersion: 1, SeenAt: time.Now()}},
		Topic:         "negotiated 0x79abb38e",
	}}
	h := startUI(t, fake, 100, 25)
	h.waitFor("bob on screen", func() bool { return h.current() == bob.ID })

	row := h.waitScreen("@bob", "lock: PFS")
	rows, styles := h.rows()
	if col := indexRunes(rows[row], "lock: PFS"); col < 0 || fgOf(styles[row][col]) != tcell.ColorGreen {
		t.Fatalf("PFS mark not green: row %q", rows[row])
	}

	h.enter("/info")
	h.waitScreen("encryption: PFS (double ratchet); last received: double ratchet")
	h.waitScreen("devices known: 1")
	h.waitScreen("5e0f0c1a-0d7e-4b8e-9a51-3c7d1f2e9b40 protocol v1")
	h.waitScreen("topic: negotiated 0x79abb38e")

	fake.events <- session.ChatNotice{ChatID: bob.ID, Text: "a message from bob could not be decrypted: replayed", Err: true}
	row = h.waitScreen("a message from bob could not be decrypted: replayed")
	rows, styles = h.rows()
	if col := indexRunes(rows[row], "a message from bob"); fgOf(styles[row][col]) != tcell.ColorRed {
		t.Fatalf("decrypt failure line not red: %q", rows[row])
	}

	// Off screen: the status line says it.
	fake.events <- session.ChatNotice{ChatID: carol.ID, Text: "a message from carol could not be decrypted: tampered with", Err: true}
	h.waitScreen("a message from carol could not be decrypted: tampered with")

	h.press(tcell.KeyCtrlN, tcell.ModCtrl)
	h.waitFor("carol on screen", func() bool { return h.current() == carol.ID })
	h.waitScreen("@carol", "lock: plain")
	h.enter("/info")
	h.waitScreen("encryption: plain (plain)")
}

// indexRunes is the cell column of sub in a screen row, or -1.
func indexRunes(row, sub string) int {
	r, s := []rune(row), []rune(sub)
	for i := 0; i+len(s) <= len(r); i++ {
		if string(r[i:i+len(s)]) == sub {
			return i
		}
	}
	return -1
}

func fgOf(s tcell.Style) tcell.Color {
	fg, _, _ := s.Decompose()
	return fg
}
