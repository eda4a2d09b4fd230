package ui

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
)

// TestSignalStopsUI: a SIGTERM on Config.Signals ends Run with nil and the
// terminal finalised (tcell's simulation drops its cells on Fini), the way
// main shuts down on SIGTERM, SIGHUP and SIGINT. A warning sent while the
// UI runs shows in the status line before that.
func TestSignalStopsUI(t *testing.T) {
	screen := tcell.NewSimulationScreen("UTF-8")
	sigs := make(chan os.Signal, 1)
	const warning = "hush.db is damaged"
	warnings := make(chan string, 1)
	u := New(Config{Session: newFakeSession(publicChat("status")), Screen: screen, Signals: sigs, DataDir: t.TempDir(), Warnings: warnings})
	done := make(chan error, 1)
	go func() { done <- u.Run() }()
	warnings <- warning
	deadline := time.Now().Add(waitLimit)
	for !strings.Contains(loopText(t, u, screen), warning) {
		select {
		case err := <-done:
			t.Fatalf("Run returned before the signal: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the warning never showed; screen:\n%s", loopText(t, u, screen))
		}
		time.Sleep(10 * time.Millisecond)
	}

	sigs <- syscall.SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after SIGTERM: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return after SIGTERM")
	}
	if w, h := screen.Size(); w != 0 || h != 0 {
		t.Fatalf("screen not finalised: still %dx%d", w, h)
	}
}

// loopText reads the screen on the UI loop, where tview draws: tcell's
// simulation hands out its cells without a lock.
func loopText(t *testing.T, u *UI, s tcell.SimulationScreen) string {
	t.Helper()
	text := make(chan string, 1)
	go u.app.QueueUpdate(func() { text <- simText(s) })
	select {
	case got := <-text:
		return got
	case <-time.After(waitLimit):
		t.Fatal("the UI loop did not run a queued update")
		return ""
	}
}

// simText is the simulation screen's text, one line per row.
func simText(s tcell.SimulationScreen) string {
	cells, w, h := s.GetContents()
	var b strings.Builder
	for y := range h {
		for x := range w {
			c := cells[y*w+x]
			if len(c.Runes) == 0 {
				b.WriteByte(' ')
				continue
			}
			b.WriteString(string(c.Runes))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
