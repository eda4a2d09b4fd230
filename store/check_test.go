package store

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
)

// TestCorruptPagesReported: a database whose middle pages were overwritten
// still opens, and the page check names the damage in Problems and in the
// log; a sound database reports nothing.
func TestCorruptPagesReported(t *testing.T) {
	s, path := openTest(t)
	mustJoin(t, s, "status", ChatPublic)
	var batch []Message
	for i := range 3000 {
		batch = append(batch, newMessage("status", i, int64(100+i)))
	}
	if _, err := s.AddMessages(batch); err != nil {
		t.Fatal(err)
	}
	if p := s.Problems(); p != nil {
		t.Fatalf("a sound database has problems: %q", p)
	}
	// Closing the last connection checkpoints the WAL into the main file.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("the WAL outlived Close (%v): the damage below might not reach the pages read", err)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	if len(raw) < 40*page {
		t.Fatalf("database is only %d bytes; the test needs pages to damage", len(raw))
	}
	mid := len(raw) / 2 / page * page
	copy(raw[mid:mid+3*page], bytes.Repeat([]byte{0xA5}, 3*page))
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	var logBuf lockedBuffer
	damaged, err := Open(path, slog.New(slog.NewTextHandler(&logBuf, nil)))
	if err != nil {
		t.Fatalf("a database with damaged data pages did not open: %v", err)
	}
	defer damaged.Close()
	problems := damaged.Problems()
	if len(problems) == 0 {
		t.Fatal("damaged pages were not reported")
	}
	if len(problems) > maxCheckProblems {
		t.Fatalf("%d problems listed, want at most %d", len(problems), maxCheckProblems)
	}
	t.Logf("problems: %q", problems)
	log := logBuf.String()
	if !strings.Contains(log, "database damaged") || !strings.Contains(log, problems[0]) {
		t.Fatalf("log does not report the damage:\n%s", log)
	}
}

// TestCloseCutsCheckShort: Close does not wait for a whole page check; a
// store closed at once reports no problems rather than a false alarm.
func TestCloseCutsCheckShort(t *testing.T) {
	s, _ := openTest(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if p := s.Problems(); p != nil {
		t.Fatalf("Problems after Close: %q", p)
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
