package droplog

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lines is a slog writer that keeps what was written.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *lines) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *lines) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := strings.TrimSpace(w.buf.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// fakeClock is a settable clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestLog() (*Log, *lines, *fakeClock) {
	w := &lines{}
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := New(slog.New(slog.NewTextHandler(w, nil)).With("peer", "p1"), time.Minute)
	l.now = clock.now
	return l, w, clock
}

func TestFirstDropOfEachReasonIsLoggedAtOnceTheRestSummarised(t *testing.T) {
	l, w, clock := newTestLog()
	for i := range 10_000 {
		l.Drop("unasked direct envelope", "envelope", i)
		if i%1000 == 0 {
			l.Drop("malformed batch", "err", "bad")
		}
	}
	got := w.all()
	if len(got) != 2 {
		t.Fatalf("during the window: %d lines, want the first of each reason:\n%s", len(got), strings.Join(got, "\n"))
	}
	if !strings.Contains(got[0], `msg="dropped unasked direct envelope"`) || !strings.Contains(got[0], "envelope=0") || !strings.Contains(got[0], "peer=p1") {
		t.Errorf("first line = %s", got[0])
	}
	if !strings.Contains(got[1], `msg="dropped malformed batch"`) {
		t.Errorf("second line = %s", got[1])
	}

	// The next drop after the window writes the summary, then itself.
	clock.t = clock.t.Add(61 * time.Second)
	if n := l.Drop("unasked direct envelope", "envelope", "late"); n != 1 {
		t.Errorf("drops in the new window = %d, want 1", n)
	}
	got = w.all()
	if len(got) != 4 {
		t.Fatalf("after the window: %d lines:\n%s", len(got), strings.Join(got, "\n"))
	}
	summary := got[2]
	for _, want := range []string{"summary", "drops=10010", "not_logged=10008", "malformed batch: 10", "unasked direct envelope: 10000", "peer=p1"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q: %s", want, summary)
		}
	}
	if !strings.Contains(got[3], "envelope=late") {
		t.Errorf("first drop of the new window not logged: %s", got[3])
	}
	if l.Total() != 10_011 {
		t.Errorf("total = %d", l.Total())
	}
}

func TestDropReturnsTheWindowsCount(t *testing.T) {
	l, _, clock := newTestLog()
	for i := 1; i <= 5; i++ {
		if n := l.Drop(fmt.Sprintf("reason %d", i%2)); n != i {
			t.Fatalf("drop %d returned %d", i, n)
		}
	}
	clock.t = clock.t.Add(time.Minute)
	if n := l.Drop("reason 1"); n != 1 {
		t.Errorf("first drop of a new window returned %d", n)
	}
}

func TestFlushWritesOnlyWhatWasNotLogged(t *testing.T) {
	l, w, _ := newTestLog()
	l.Drop("a")
	l.Flush()
	if got := w.all(); len(got) != 1 {
		t.Fatalf("flush after one logged drop wrote a summary: %q", got)
	}
	l.Drop("a") // a new window: logged again
	l.Drop("a")
	l.Flush()
	got := w.all()
	if len(got) != 3 || !strings.Contains(got[2], "drops=2") || !strings.Contains(got[2], "not_logged=1") {
		t.Fatalf("lines = %q", got)
	}
	var nilLog *Log
	nilLog.Flush() // a source that never dropped anything may have no Log
}

func TestReasonsAreBounded(t *testing.T) {
	l, w, clock := newTestLog()
	for i := range 1000 {
		l.Drop(fmt.Sprintf("reason %d", i))
	}
	if got := len(w.all()); got != maxReasons+1 {
		t.Errorf("%d lines for 1000 reasons, want %d", got, maxReasons+1)
	}
	clock.t = clock.t.Add(time.Hour)
	l.Flush()
	got := w.all()
	if !strings.Contains(got[len(got)-1], "other reasons: 968") {
		t.Errorf("summary = %s", got[len(got)-1])
	}
}

func TestConcurrentDrops(t *testing.T) {
	l, w, _ := newTestLog()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				l.Drop("flood")
			}
		}()
	}
	wg.Wait()
	l.Flush()
	got := w.all()
	if len(got) != 2 || !strings.Contains(got[1], "drops=8000") {
		t.Fatalf("lines = %q", got)
	}
}
