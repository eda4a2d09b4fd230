package store

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The big store: 1,000,000 messages over 50 chats, the busiest with about a
// fifth of them (chat sizes fall off as 1/rank), written through AddMessages
// in batches as a long-lived client would have received them.
const (
	bigMessages = 1_000_000
	bigChats    = 50
	bigBatch    = 10_000
	bigUnread   = 30 // the newest messages of each chat are unread
	bigScreen   = 50 // lines on one screen
	bigPageBack = 100
	// bigGeneration changes whenever the generated content changes, so an
	// old cached file is not mistaken for the current one.
	bigGeneration = 1
)

// switchLoad is how many messages the UI loads when a chat is opened
// (ui/pane.go latestLoad): the chat switch reads as much.
const switchLoad = 200

// BenchmarkBigStore opens a store holding 1,000,000 messages and reports
// what a user starting hush on it waits for, as custom metrics:
//
//   - open-screen-ms: Open plus the newest screen (Latest 50) of the busiest
//     chat; the first open of the file in this process;
//   - page-back-ms: 100 screens back from there (Before 50, each from the
//     oldest message of the previous screen), in total;
//   - switch-ms / switch-max-ms: opening another chat as the UI does it
//     (Latest 200, UnreadCounts, Chats), mean and worst over the 49 others;
//   - heap-MB: Go heap in use (after a GC) with the store open and the
//     screen loaded; rss-MB: the whole process's resident memory, which
//     also counts SQLite's page caches (C memory the Go heap does not see).
//
// The file is generated once (about 40 s) and cached in the temporary
// directory under a name carrying the schema version; delete it to
// regenerate. The OS page cache is warm after the first run, as it is
// when hush restarts. -short uses a 100,000-message store instead.
func BenchmarkBigStore(b *testing.B) {
	total := bigMessages
	if testing.Short() {
		total = bigMessages / 10
	}
	path, busiest := bigStore(b, total)
	others := make([]string, 0, bigChats-1)
	for c := range bigChats {
		if id := bigChatID(c); id != busiest {
			others = append(others, id)
		}
	}

	var open, pageBack, switchSum, switchMax time.Duration
	var switches int
	var heapMB, rssMB float64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		s, err := Open(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		screen, err := s.Latest(busiest, bigScreen)
		if err != nil || len(screen) != bigScreen {
			b.Fatalf("Latest: %d messages, %v", len(screen), err)
		}
		open += time.Since(start)

		b.StopTimer()
		runtime.GC()
		debug.FreeOSMemory() // a generation run leaves freed memory resident
		var mem runtime.MemStats
		runtime.ReadMemStats(&mem)
		heapMB = float64(mem.HeapInuse) / (1 << 20)
		rssMB = residentMB(b)
		b.StartTimer()

		start = time.Now()
		for range bigPageBack {
			oldest := screen[0]
			screen, err = s.Before(busiest, oldest.Clock, oldest.ID, bigScreen)
			if err != nil || len(screen) != bigScreen {
				b.Fatalf("Before: %d messages, %v", len(screen), err)
			}
		}
		pageBack += time.Since(start)

		for _, id := range others {
			start = time.Now()
			ms, err := s.Latest(id, switchLoad)
			if err != nil || len(ms) == 0 {
				b.Fatalf("Latest(%s): %d messages, %v", id, len(ms), err)
			}
			if _, err := s.UnreadCounts(); err != nil {
				b.Fatal(err)
			}
			if _, err := s.Chats(); err != nil {
				b.Fatal(err)
			}
			d := time.Since(start)
			switchSum += d
			switchMax = max(switchMax, d)
			switches++
		}
		b.StopTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	perIter := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(b.N) }
	b.ReportMetric(perIter(open), "open-screen-ms")
	b.ReportMetric(perIter(pageBack), "page-back-ms")
	b.ReportMetric(float64(switchSum)/float64(time.Millisecond)/float64(switches), "switch-ms")
	b.ReportMetric(float64(switchMax)/float64(time.Millisecond), "switch-max-ms")
	b.ReportMetric(heapMB, "heap-MB")
	b.ReportMetric(rssMB, "rss-MB")
}

// residentMB reads the process's resident set size from /proc (Linux).
func residentMB(b *testing.B) float64 {
	b.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0 // not Linux: report nothing rather than fail
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				b.Fatalf("VmRSS line %q: %v", line, err)
			}
			return float64(kb) / 1024
		}
	}
	return 0
}

func bigChatID(c int) string { return fmt.Sprintf("big-%02d", c) }

// bigStore returns the path of the cached big store of total messages,
// generating it first when needed, and the busiest chat's id.
func bigStore(b *testing.B, total int) (string, string) {
	b.Helper()
	name := fmt.Sprintf("hush-bench-%d-schema%d-gen%d.db", total, SchemaVersion(), bigGeneration)
	path := filepath.Join(os.TempDir(), name)
	busiest := bigChatID(0)
	// The marker is written only after the file is complete, so a run
	// killed half-way regenerates instead of measuring a partial store.
	marker := path + ".complete"
	if _, err := os.Stat(marker); err == nil {
		return path, busiest
	}
	start := time.Now()
	for _, p := range []string{path, path + "-wal", path + "-shm", marker} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			b.Fatal(err)
		}
	}
	s, err := Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	for c := range bigChats {
		if _, err := s.JoinChat(bigChatID(c), ChatPublic); err != nil {
			b.Fatal(err)
		}
	}
	next := bigMessageStream(total)
	for batch := next(bigBatch); len(batch) > 0; batch = next(bigBatch) {
		if _, err := s.AddMessages(batch); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(marker, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d messages in %s in %v", total, path, time.Since(start))
	return path, busiest
}

// bigMessageStream returns a function that makes the next (at most) n of
// total messages in arrival order, so the whole set is never in memory.
// Each message picks a chat with weight 1/(rank+1), so chat 0 is the
// busiest. Everything derives from a fixed seed: every generation is the
// same.
func bigMessageStream(total int) func(n int) []Message {
	words := strings.Fields(`hey hello thanks ok lol yes no maybe the a to of and in is it that
		for on with this you are was have be what status whisper node peer mailserver sync history chat
		message key release today tomorrow week build works broken fixed try again later anyone here`)
	rng := rand.New(rand.NewPCG(2019, 5))
	cumulative := make([]float64, bigChats)
	sum := 0.0
	for c := range bigChats {
		sum += 1 / float64(c+1)
		cumulative[c] = sum
	}
	// Chats are drawn up front so each chat's size, and with it which of
	// its messages are the unread newest, is known before they are made.
	perChat := make([]int, bigChats)
	chats := make([]uint8, total)
	for i := range chats {
		c, _ := slices.BinarySearch(cumulative, rng.Float64()*sum)
		chats[i] = uint8(min(c, bigChats-1))
		perChat[chats[i]]++
	}
	seen := make([]int, bigChats)
	start := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	i := 0
	return func(n int) []Message {
		msgs := make([]Message, 0, min(n, total-i))
		for ; i < total && len(msgs) < n; i++ {
			c := int(chats[i])
			nth := seen[c]
			seen[c]++
			sent := start.Add(time.Duration(i) * 3 * time.Second)
			var line []string
			for range 3 + rng.IntN(12) {
				line = append(line, words[rng.IntN(len(words))])
			}
			text := strings.Join(line, " ")
			chat := bigChatID(c)
			clock := sent.UnixMilli() * 100
			sender := make([]byte, 65)
			sender[0] = 0x04
			binary.BigEndian.PutUint32(sender[1:], uint32(rng.IntN(500)))
			msgs = append(msgs, Message{
				ID:           sha256.Sum256(fmt.Appendf(nil, "big-id-%d", i)),
				EnvelopeHash: sha256.Sum256(fmt.Appendf(nil, "big-env-%d", i)),
				ChatID:       chat,
				Sender:       sender,
				Clock:        clock,
				Timestamp:    sent.UnixMilli(),
				ContentType:  "text/plain",
				MessageType:  "public-group-user-message",
				Text:         text,
				Payload: fmt.Appendf(nil, `["~#c4",[%q,"text/plain","~:public-group-user-message",%d,%d,["^ ","~:chat-id",%q,"~:text",%q]]]`,
					text, clock, sent.UnixMilli(), chat, text),
				Read: nth < perChat[c]-bigUnread,
			})
		}
		return msgs
	}
}
