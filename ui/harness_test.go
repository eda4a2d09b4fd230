package ui

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
)

// waitLimit bounds every wait in these tests. It is generous because a
// wait ends as soon as its condition holds: only a failing test pays for
// it, while a short bound fails good code on a busy machine under the race
// detector (the end-to-end tests run real nodes).
const waitLimit = 60 * time.Second

// harness runs a UI on a simulation screen for one test.
type harness struct {
	t      *testing.T
	ui     *UI
	fake   *fakeSession
	screen tcell.SimulationScreen
	beeps  atomic.Int64 // terminal bells rung
	draws  atomic.Int64
	done   chan error
	ended  bool
	dir    string
}

// startUI runs a UI over fake on a width x height simulation screen and
// stops it when the test ends.
func startUI(t *testing.T, fake *fakeSession, width, height int) *harness {
	t.Helper()
	h := runUI(t, fake, width, height)
	h.fake = fake
	return h
}

// runUI runs a UI over any Session (the fake, or a real session in the
// end-to-end tests).
func runUI(t *testing.T, sess Session, width, height int) *harness {
	t.Helper()
	return runUIIn(t, sess, width, height, t.TempDir())
}

// runUIIn is runUI with dir as the data dir.
func runUIIn(t *testing.T, sess Session, width, height int, dir string) *harness {
	t.Helper()
	h := &harness{
		t:      t,
		screen: tcell.NewSimulationScreen("UTF-8"),
		done:   make(chan error, 1),
		dir:    dir,
	}
	h.ui = New(Config{Session: sess, Screen: &bellCounter{SimulationScreen: h.screen, beeps: &h.beeps}, DataDir: h.dir})
	h.ui.app.SetAfterDrawFunc(func(tcell.Screen) { h.draws.Add(1) })
	go func() { h.done <- h.ui.Run() }()
	t.Cleanup(func() {
		if !h.ended {
			if err := h.stop(); err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	})
	// Run's SetScreen resets the simulation to 80x25: resize on the loop.
	h.resize(width, height)
	return h
}

// bellCounter is the simulation screen counting Beep calls, which the
// simulation itself ignores.
type bellCounter struct {
	tcell.SimulationScreen
	beeps *atomic.Int64
}

func (b *bellCounter) Beep() error {
	b.beeps.Add(1)
	return nil
}

// stop stops the UI and returns what Run returned.
func (h *harness) stop() error {
	h.t.Helper()
	h.ui.Stop()
	return h.wait()
}

// wait waits for Run to return.
func (h *harness) wait() error {
	h.t.Helper()
	select {
	case err := <-h.done:
		h.ended = true
		return err
	case <-time.After(waitLimit):
		h.t.Fatal("Run did not return")
		return nil
	}
}

// onLoop runs f on the UI loop (without a redraw) and waits for it, failing
// if the loop is gone.
func (h *harness) onLoop(f func()) {
	h.t.Helper()
	h.queue(func() { h.ui.app.QueueUpdate(f) })
}

// onLoopDraw runs f on the UI loop and redraws.
func (h *harness) onLoopDraw(f func()) {
	h.t.Helper()
	h.queue(func() { h.ui.app.QueueUpdateDraw(f) })
}

// queue runs a blocking QueueUpdate call with a deadline.
func (h *harness) queue(call func()) {
	h.t.Helper()
	ran := make(chan struct{})
	go func() {
		call()
		close(ran)
	}()
	select {
	case <-ran:
	case <-time.After(waitLimit):
		h.t.Fatal("the UI loop did not run a queued update")
	}
}

// resize changes the screen size and redraws.
func (h *harness) resize(width, height int) {
	h.t.Helper()
	h.onLoopDraw(func() { h.screen.SetSize(width, height) })
}

// rows returns the screen as text, one string per row, with the cell styles.
func (h *harness) rows() ([]string, [][]tcell.Style) {
	h.t.Helper()
	var text []string
	var styles [][]tcell.Style
	h.onLoop(func() {
		cells, w, ht := h.screen.GetContents()
		for y := 0; y < ht; y++ {
			var b strings.Builder
			var rowStyles []tcell.Style
			for x := 0; x < w; x++ {
				c := cells[y*w+x]
				r := " "
				if len(c.Runes) > 0 && c.Runes[0] != 0 {
					r = string(c.Runes)
				}
				b.WriteString(r)
				for range len([]rune(r)) {
					rowStyles = append(rowStyles, c.Style)
				}
				// The simulation leaves the cell under the right half of a
				// wide character stale: skip it.
				x += max(textWidth(r), 1) - 1
			}
			text = append(text, b.String())
			styles = append(styles, rowStyles)
		}
	})
	return text, styles
}

// screenText is the whole screen joined by newlines.
func (h *harness) screenText() string {
	rows, _ := h.rows()
	return strings.Join(rows, "\n")
}

// waitFor polls cond until it holds, failing after waitLimit.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s; screen:\n%s", what, h.screenText())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitScreen waits until a row contains all the parts, and returns its index.
func (h *harness) waitScreen(parts ...string) int {
	h.t.Helper()
	found := -1
	h.waitFor("screen to show "+strings.Join(parts, " … "), func() bool {
		rows, _ := h.rows()
		found = rowWith(rows, parts...)
		return found >= 0
	})
	return found
}

// rowWith returns the first row containing all parts in order, or -1.
func rowWith(rows []string, parts ...string) int {
	for i, row := range rows {
		rest, ok := row, true
		for _, p := range parts {
			j := strings.Index(rest, p)
			if j < 0 {
				ok = false
				break
			}
			rest = rest[j+len(p):]
		}
		if ok {
			return i
		}
	}
	return -1
}

// waitCalls waits until the fake recorded want calls starting with prefix.
func (h *harness) waitCalls(prefix string, want int) []string {
	h.t.Helper()
	var calls []string
	h.waitFor("session calls "+prefix, func() bool {
		calls = h.fake.callsWith(prefix)
		return len(calls) >= want
	})
	return calls
}

// typeText types text one key at a time; the simulation's 10-event queue
// makes each injection wait for the loop, so keys never pile up.
func (h *harness) typeText(text string) {
	for _, r := range text {
		h.screen.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
}

// press injects one special key.
func (h *harness) press(key tcell.Key, mod tcell.ModMask) {
	h.screen.InjectKey(key, 0, mod)
}

// alt injects Alt+rune.
func (h *harness) alt(r rune) {
	h.screen.InjectKey(tcell.KeyRune, r, tcell.ModAlt)
}

// enter types a line and presses Enter.
func (h *harness) enter(line string) {
	h.typeText(line)
	h.press(tcell.KeyEnter, tcell.ModNone)
}

// inputText reads the input on the loop.
func (h *harness) inputText() string {
	var text string
	h.onLoop(func() { text = h.ui.input.GetText() })
	return text
}

// current reads the chat on screen on the loop.
func (h *harness) current() string {
	var id string
	h.onLoop(func() { id = h.ui.current })
	return id
}
