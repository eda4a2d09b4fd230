package session

import (
	"bufio"
	"bytes"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/store"
	"hush/whisper"
	"hush/whisper/mailserver"
)

// The crash test re-runs this test binary as a child process that catches
// up and is killed with SIGKILL halfway; these variables tell the child
// what to do.
const (
	crashChildDir        = "HUSH_TEST_CRASH_CHILD_DIR"
	crashChildMailserver = "HUSH_TEST_CRASH_CHILD_MAILSERVER"
	crashChildClock      = "HUSH_TEST_CRASH_CHILD_CLOCK" // set: a fast clock watch
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildDir); dir != "" {
		os.Exit(runCrashChild(dir, os.Getenv(crashChildMailserver)))
	}
	os.Exit(pg.Main(m))
}

// runCrashChild is the child: a session on dir catches up from the
// mailserver and prints "stored N" after every batch it announces, until
// it is killed.
func runCrashChild(dir, msURL string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "child:", err); return 2 }
	ms, err := ParseMailserver(msURL)
	if err != nil {
		return fail(err)
	}
	st, err := store.Open(filepath.Join(dir, "hush.db"), nil)
	if err != nil {
		return fail(err)
	}
	id, _ := crypto.GenerateKey()
	nodeKey, _ := crypto.GenerateKey()
	node, err := whisper.New(whisper.Config{ListenAddr: "127.0.0.1:0", NodeKey: nodeKey, Peers: []*enode.Node{ms.Node}})
	if err != nil {
		return fail(err)
	}
	if err := node.Start(); err != nil {
		return fail(err)
	}
	mgr, err := New(Config{Identity: id, Node: node, Store: st, Mailservers: []Mailserver{ms},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		return fail(err)
	}
	// Small pages: the kill lands between many barriers.
	mgr.sync.tune.pageLimit = 250
	if os.Getenv(crashChildClock) != "" {
		mgr.sync.tune.clockTick, mgr.sync.tune.clockJump = 100*time.Millisecond, 3*time.Second
	}
	if err := mgr.Start(); err != nil {
		return fail(err)
	}
	stored := 0
	for ev := range mgr.Events() {
		switch ev := ev.(type) {
		case MessagesAdded:
			stored += len(ev.Messages)
			for _, m := range ev.Messages {
				fmt.Printf("shown %s\n", m.Text)
			}
			fmt.Printf("stored %d\n", stored)
		case SyncProgress:
			if ev.Done {
				fmt.Println("synced")
			}
		}
	}
	return 0
}

// TestCatchUpKilledHalfway: a catch-up of 10,000 messages is killed with
// SIGKILL halfway. The next start stores all 10,000 exactly once, the
// database passes PRAGMA integrity_check, and its first request starts at
// or before the first message the killed one had not stored.
func TestCatchUpKilledHalfway(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 messages and a child process")
	}
	t.Parallel()
	const total = 10000
	ms := newMailserverNode(t, mailserver.Config{})
	author, _ := crypto.GenerateKey()
	now := time.Now()
	archived := archiveTexts(t, ms.archive, author, "status", "crash", total, now.Add(-50*time.Minute), now.Add(-time.Minute))
	t.Logf("archived in %v", time.Since(now))

	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "hush.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	mark := now.Add(-time.Hour).Unix()
	if _, err := st.JoinChat("status", store.ChatPublic); err != nil {
		t.Fatal(err)
	}
	if err := st.SetSyncedTo([]string{"status"}, mark); err != nil {
		t.Fatal(err)
	}
	st.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildDir+"="+dir, crashChildMailserver+"="+ms.node.Enode().URLv4())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := make(chan int, 1)
	go func() {
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			n, _ := strconv.Atoi(strings.TrimPrefix(lines.Text(), "stored "))
			if n >= total/4 {
				cmd.Process.Signal(syscall.SIGKILL)
				killed <- n
				return
			}
		}
		killed <- -1
	}()
	select {
	case n := <-killed:
		if n < 0 {
			cmd.Wait()
			t.Fatalf("child ended before it stored a quarter:\n%s", tail(stderr.String(), 3000))
		}
	case <-time.After(2 * waitTimeout):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child stored too little in time:\n%s", tail(stderr.String(), 3000))
	}
	cmd.Wait()

	// What the killed process left: some stored, the mark where it was.
	st, err = store.Open(filepath.Join(dir, "hush.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := st.CountMessages("status")
	if before == 0 || before >= total {
		t.Fatalf("killed with %d of %d stored; the kill was not halfway", before, total)
	}
	sort.Slice(archived, func(i, j int) bool { return archived[i].sent.Before(archived[j].sent) })
	var firstMissing time.Time
	for _, m := range archived {
		if has, err := st.HasEnvelope(m.hash); err != nil {
			t.Fatal(err)
		} else if !has {
			firstMissing = m.sent
			break
		}
	}
	if c, _, _ := st.Chat("status"); c.SyncedTo > firstMissing.Unix() {
		t.Fatalf("mark %d is past the first message not stored (%d)", c.SyncedTo, firstMissing.Unix())
	}
	st.Close()
	t.Logf("killed with %d of %d stored at %v", before, total, time.Since(now))

	logs := &logRecorder{}
	key, _ := crypto.GenerateKey()
	nodeKey, _ := crypto.GenerateKey()
	c := &client{t: t, dir: dir, id: key, nodeKey: nodeKey}
	c.start(clientOptions{peers: []*enode.Node{ms.node.Enode()}, mailservers: []Mailserver{ms.mailserver()}, logger: slog.New(logs)})
	t.Cleanup(c.stop)
	// Opening 7,500 envelopes under the race detector on a busy machine
	// takes longer than the other tests' waits.
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if n, _ := c.store.CountMessages("status"); n >= total {
			break
		}
		if time.Now().After(deadline) {
			n, _ := c.store.CountMessages("status")
			t.Fatalf("%d of %d stored after the restart", n, total)
		}
	}
	waitFor(t, "the catch-up done", func() bool { ended, _, _ := c.events.syncEnded("status"); return ended })
	t.Logf("restart done at %v", time.Since(now))
	if n, _ := c.store.CountMessages("status"); n != total {
		t.Fatalf("stored %d, want %d exactly", n, total)
	}
	for _, m := range archived {
		if has, _ := c.store.HasEnvelope(m.hash); !has {
			t.Fatalf("%q missing", m.text)
		}
	}
	lowers := logs.ints("history request", "lower")
	if len(lowers) == 0 || lowers[0] > firstMissing.Unix() {
		t.Fatalf("the restart asked from %v; the first missing message was sent at %d", lowers, firstMissing.Unix())
	}

	db, err := sql.Open("sqlite3", filepath.Join(dir, "hush.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
	var distinct int
	if err := db.QueryRow("SELECT COUNT(DISTINCT envelope_hash) FROM messages").Scan(&distinct); err != nil || distinct != total {
		t.Fatalf("%d distinct envelopes stored (%v), want %d", distinct, err, total)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// TestCatchUpAfterSIGSTOP: a client process is stopped (SIGSTOP) while
// another client sends 5 lines, long enough that they expire everywhere
// but in the mailserver's archive; its connection survives, so only the
// clock watch can notice. After SIGCONT the lines appear with no command.
func TestCatchUpAfterSIGSTOP(t *testing.T) {
	if testing.Short() {
		t.Skip("a child process stopped for 12 s")
	}
	t.Parallel()
	ms := newMailserverNode(t, mailserver.Config{})
	a := newClient(t, clientOptions{peers: []*enode.Node{ms.node.Enode()}})
	waitPeers(t, 1, a)
	if _, err := a.mgr.JoinPublic("status"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "hush.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.JoinChat("status", store.ChatPublic); err != nil {
		t.Fatal(err)
	}
	st.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildDir+"="+dir, crashChildMailserver+"="+ms.node.Enode().URLv4(), crashChildClock+"=1")
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("child's log:\n%s", tail(stderr.String(), 6000))
		}
	})
	lines := make(chan string, 1024)
	go func() {
		scan := bufio.NewScanner(out)
		for scan.Scan() {
			lines <- scan.Text()
		}
		close(lines)
	}()
	await := func(what string, limit time.Duration, want func(string) bool) {
		t.Helper()
		deadline := time.After(limit)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("child ended while waiting for %s", what)
				}
				if want(l) {
					return
				}
			case <-deadline:
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	await("the child's first catch-up", waitTimeout, func(l string) bool { return l == "synced" })

	cmd.Process.Signal(syscall.SIGSTOP)
	want := map[string]bool{}
	for i := range 5 {
		text := fmt.Sprintf("while stopped %d", i)
		want["shown "+text] = true
		if err := a.mgr.Send("status", text); err != nil {
			t.Fatal(err)
		}
	}
	ms.archived(t, 5)
	waitFor(t, "the lines to expire from the relay's pool", func() bool { return len(ms.node.Whisper().Envelopes()) == 0 })
	cmd.Process.Signal(syscall.SIGCONT)
	// Acceptance: all of them within 10 s of SIGCONT, no command typed.
	await("the lines sent while stopped", 10*time.Second, func(l string) bool {
		delete(want, l)
		return len(want) == 0
	})
	if !strings.Contains(stderr.String(), "clock jumped") {
		t.Fatal("the catch-up was not asked for by the clock watch")
	}
}

// lockedBuffer is a child's stderr that the test may read while the child
// writes it.
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
