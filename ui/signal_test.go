package ui

import (
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
)

// TestSignalStopsUI: a SIGTERM on Config.Signals ends Run with nil and the
// terminal finalised (tcell's simulation drops its cells on Fini), the way
// main shuts down on SIGTERM, SIGHUP and SIGINT. The start-up warning shows
// in the status line before that.
func TestSignalStopsUI(t *testing.T) {
	screen := tcell.NewSimulationScreen("UTF-8")
	sigs := make(chan os.Signal, 1)
	const warning = "hush.db is damaged"
	u := New(Config{Session: newFakeSession(publicChat("status")), Screen: screen, Signals: sigs, DataDir: t.TempDir(), Warning: warning})
	// The test reads the screen only after the first draw: tcell's
	// simulation does not lock its Init against readers.
	drawn := make(chan struct{})
	var once sync.Once
	u.app.SetAfterDrawFunc(func(tcell.Screen) { once.Do(func() { close(drawn) }) })
	done := make(chan error, 1)
	go func() { done <- u.Run() }()
	select {
	case <-drawn:
	case err := <-done:
		t.Fatalf("Run returned before the signal: %v", err)
	case <-time.After(waitLimit):
		t.Fatal("the UI never drew")
	}
	deadline := time.Now().Add(waitLimit)
	for !strings.Contains(simText(screen), warning) {
		if time.Now().After(deadline) {
			t.Fatalf("the warning never showed; screen:\n%s", simText(screen))
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
