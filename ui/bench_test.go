package ui

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"hush/session"
)

// Receive-to-screen benchmark settings.
const (
	benchWidth, benchHeight = 120, 40
	benchBusyChats          = 20   // chats the background traffic goes to
	benchLoadRate           = 1000 // background messages per second
	benchProbes             = 300  // messages timed into the chat on screen
	benchKeys               = 300  // keys timed into the input
	benchWait               = 30 * time.Second
)

// BenchmarkReceiveToScreen runs the real UI on a 120x40 simulation screen.
// The session behind it is the fake of the UI tests (fake_session_test.go):
// what is measured is the UI's own path, from an event on the session's
// channel through the pump, the loop and the draw to the screen cells.
//
// Throughout, 1,000 messages a second arrive into 20 other chats, each as
// its own MessagesAdded followed by a ChatsChanged (the real session
// batches a burst into one event per chat and one chat list, so this is the
// harder case). Meanwhile:
//
//   - recv-ms: a message for the chat on screen is emitted; the time runs
//     until the first frame whose cells show its text (checked after each
//     draw, before the frame is shown, which for a simulation screen is a
//     memory copy);
//   - key-ms: a key is injected; the time runs until a frame shows it in
//     the input line.
//
// load-msgs/s is the background rate the UI actually absorbed.
func BenchmarkReceiveToScreen(b *testing.B) {
	probes, keys := benchProbes, benchKeys
	if testing.Short() {
		probes, keys = 30, 30
	}
	var recv, echo []time.Duration
	var load float64
	for range b.N {
		r := startBenchUI(b)
		loadDone := r.startLoad()
		recv = append(recv, r.timeProbes(probes)...)
		echo = append(echo, r.timeKeys(keys)...)
		load = loadDone()
		r.stop()
	}
	b.ReportMetric(benchMillis(benchPercentile(recv, 50)), "recv-ms-p50")
	b.ReportMetric(benchMillis(benchPercentile(recv, 99)), "recv-ms-p99")
	b.ReportMetric(benchMillis(benchPercentile(echo, 50)), "key-ms-p50")
	b.ReportMetric(benchMillis(benchPercentile(echo, 99)), "key-ms-p99")
	b.ReportMetric(load, "load-msgs/s")
}

// benchUI is a running UI with a watch on its frames.
type benchUI struct {
	b      *testing.B
	ui     *UI
	fake   *fakeSession
	screen tcell.SimulationScreen
	done   chan error
	watch  frameWatch
}

// frameWatch checks each drawn frame against one condition at a time and
// notes when a frame first meets it.
type frameWatch struct {
	mu   sync.Mutex
	cond func(tcell.Screen) bool
	seen chan time.Time
}

// afterDraw runs on the UI loop after every draw.
func (w *frameWatch) afterDraw(s tcell.Screen) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cond != nil && w.cond(s) {
		w.cond = nil
		w.seen <- time.Now()
	}
}

// await installs cond, runs act and returns how long after act started a
// frame met cond.
func (w *frameWatch) await(b *testing.B, what string, cond func(tcell.Screen) bool, act func()) time.Duration {
	b.Helper()
	w.mu.Lock()
	w.cond = cond
	w.mu.Unlock()
	start := time.Now()
	act()
	select {
	case at := <-w.seen:
		return at.Sub(start)
	case <-time.After(benchWait):
		b.Fatalf("no frame showed %s within %v", what, benchWait)
		return 0
	}
}

func startBenchUI(b *testing.B) *benchUI {
	b.Helper()
	chats := []session.Chat{publicChat("shown")}
	for i := range benchBusyChats {
		chats = append(chats, publicChat(fmt.Sprintf("busy-%02d", i)))
	}
	fake := newFakeSession(chats...)
	// A full screen of history in the chat on screen, a little elsewhere.
	for i := range 200 {
		fake.preload("shown", testMessage("shown", i, benchSender(i), fmt.Sprintf("history line %04d", i)))
	}
	for _, c := range chats[1:] {
		for i := range 20 {
			fake.preload(c.ID, testMessage(c.ID, i, benchSender(i), "earlier"))
		}
	}
	r := &benchUI{
		b:      b,
		fake:   fake,
		screen: tcell.NewSimulationScreen("UTF-8"),
		done:   make(chan error, 1),
		watch:  frameWatch{seen: make(chan time.Time, 1)},
	}
	r.ui = New(Config{Session: fake, Screen: r.screen, DataDir: b.TempDir()})
	r.ui.app.SetAfterDrawFunc(r.watch.afterDraw)
	go func() { r.done <- r.ui.Run() }()
	// Run's SetScreen resets the simulation to 80x25: resize on the loop,
	// and wait for a frame at the new size showing the chat.
	r.watch.await(b, "the chat at 120x40", func(s tcell.Screen) bool {
		w, h := s.Size()
		return w == benchWidth && h == benchHeight && rowsContain(s, 0, h, "history line 0199")
	}, func() {
		r.ui.app.QueueUpdateDraw(func() { r.screen.SetSize(benchWidth, benchHeight) })
	})
	return r
}

func (r *benchUI) stop() {
	r.ui.Stop()
	select {
	case err := <-r.done:
		if err != nil {
			r.b.Fatalf("Run: %v", err)
		}
	case <-time.After(benchWait):
		r.b.Fatal("Run did not return")
	}
}

// startLoad delivers benchLoadRate messages a second, round robin into the
// busy chats, until the returned function is called; that returns the rate
// achieved.
func (r *benchUI) startLoad() func() float64 {
	quit := make(chan struct{})
	var delivered atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		n := 0
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
			}
			due := int(time.Since(start).Seconds() * benchLoadRate)
			for ; n < due; n++ {
				chat := fmt.Sprintf("busy-%02d", n%benchBusyChats)
				m := testMessage(chat, 1000+n, benchSender(n), fmt.Sprintf("background traffic %d", n))
				m.Time = time.Now()
				r.fake.deliver(chat, false, m)
				delivered.Add(1)
			}
		}
	}()
	return func() float64 {
		close(quit)
		wg.Wait()
		return float64(delivered.Load()) / time.Since(start).Seconds()
	}
}

// timeProbes emits messages into the chat on screen, one at a time at
// irregular intervals, and times each until a frame shows it.
func (r *benchUI) timeProbes(n int) []time.Duration {
	out := make([]time.Duration, 0, n)
	for i := range n {
		time.Sleep(benchGap(i)) // spread the probes over the load's phases
		text := fmt.Sprintf("probe %06d", i)
		m := testMessage("shown", 1_000_000+i, "prober", text)
		m.Time = time.Now()
		out = append(out, r.watch.await(r.b, text, func(s tcell.Screen) bool {
			_, h := s.Size()
			return rowsContain(s, max(h-8, 0), h-2, text)
		}, func() { r.fake.deliver("shown", false, m) }))
	}
	return out
}

// timeKeys types one key at a time into the empty input and times each
// until a frame shows it, then clears the input (untimed).
func (r *benchUI) timeKeys(n int) []time.Duration {
	out := make([]time.Duration, 0, n)
	typed := []rune("qzxkjw") // none starts the input's placeholder
	for i := range n {
		time.Sleep(benchGap(i))
		key := typed[i%len(typed)]
		out = append(out, r.watch.await(r.b, "the typed key", func(s tcell.Screen) bool {
			_, h := s.Size()
			first, _, _ := s.Get(0, h-1)
			second, _, _ := s.Get(1, h-1)
			return first == string(key) && strings.TrimSpace(second) == ""
		}, func() { r.screen.InjectKey(tcell.KeyRune, key, tcell.ModNone) }))
		r.watch.await(r.b, "the cleared input", func(s tcell.Screen) bool {
			_, h := s.Size()
			return rowsContain(s, h-1, h, "type a message")
		}, func() { r.screen.InjectKey(tcell.KeyCtrlC, 0, tcell.ModCtrl) })
	}
	return out
}

// rowsContain reports whether any row in [from, to) of the frame being
// drawn contains text.
func rowsContain(s tcell.Screen, from, to int, text string) bool {
	w, _ := s.Size()
	var row strings.Builder
	for y := from; y < to; y++ {
		row.Reset()
		for x := 0; x < w; x++ {
			str, _, _ := s.Get(x, y)
			row.WriteString(str)
		}
		if strings.Contains(row.String(), text) {
			return true
		}
	}
	return false
}

// benchGap is a pause of 5 to 24 ms that differs from one sample to the
// next, so samples do not lock onto the load's rhythm.
func benchGap(i int) time.Duration { return time.Duration(5+(i*7)%20) * time.Millisecond }

func benchSender(i int) string { return fmt.Sprintf("user%d", i%12) }

// benchPercentile returns the p-th percentile (0..100) of ds, nearest rank.
func benchPercentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func benchMillis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
