package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// benchMessages is the size of the benchmark store; set
// HUSH_STORE_BENCH_MESSAGES to try others (e.g. 1000000).
func benchMessages(b *testing.B) int {
	if v := os.Getenv("HUSH_STORE_BENCH_MESSAGES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < benchChats {
			b.Fatalf("HUSH_STORE_BENCH_MESSAGES=%q", v)
		}
		return n
	}
	return 200_000
}

const (
	benchChats     = 4
	benchRareEvery = 1000 // one message in this many holds the word "zebra"
)

var benchWords = []string{"hello", "status", "whisper", "chat", "message", "today", "network", "peer",
	"mailserver", "history", "clock", "topic", "key", "public", "ok", "thanks"}

// buildBenchStore fills a store with n messages spread over benchChats chats,
// all read except the newest 20 of each chat, inserted through AddMessages
// in one transaction. The benchmark clock is stopped while it runs.
func buildBenchStore(b *testing.B, n int) (*Store, string) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")
	s, err := Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	perChat := n / benchChats
	payload := make([]byte, 200)
	ms := make([]Message, 0, n)
	for c := range benchChats {
		chat := fmt.Sprintf("bench-%d", c)
		if _, err := s.JoinChat(chat, ChatPublic); err != nil {
			b.Fatal(err)
		}
		for i := range perChat {
			m := newMessage(chat, i, 155000000000000+int64(i/3)) // runs of equal clocks
			m.Payload = payload
			m.Text = fmt.Sprintf("%s %s %s %d", benchWords[i%len(benchWords)],
				benchWords[(i/7)%len(benchWords)], benchWords[(i/31)%len(benchWords)], i)
			if i%benchRareEvery == 0 {
				m.Text += " zebra"
			}
			m.Read = i < perChat-20
			ms = append(ms, m)
		}
	}
	start := time.Now()
	if _, err := s.AddMessages(ms); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d messages in %v", len(ms), time.Since(start))
	return s, path
}

func BenchmarkLatest(b *testing.B) {
	s, _ := buildBenchStore(b, benchMessages(b))
	i := 0
	for b.Loop() {
		ms, err := s.Latest(fmt.Sprintf("bench-%d", i%benchChats), 50)
		if err != nil || len(ms) != 50 {
			b.Fatalf("Latest: %d messages, %v", len(ms), err)
		}
		i++
	}
}

func BenchmarkBefore(b *testing.B) {
	s, _ := buildBenchStore(b, benchMessages(b))
	// Page back from a position in the middle of the history.
	mid, err := s.Latest("bench-0", benchMessages(b)/benchChats/2)
	if err != nil {
		b.Fatal(err)
	}
	at := mid[0]
	for b.Loop() {
		ms, err := s.Before("bench-0", at.Clock, at.ID, 50)
		if err != nil || len(ms) != 50 {
			b.Fatalf("Before: %d messages, %v", len(ms), err)
		}
	}
}

// BenchmarkReads covers the other read paths on one store.
func BenchmarkReads(b *testing.B) {
	s, path := buildBenchStore(b, benchMessages(b))
	b.Run("UnreadCounts", func(b *testing.B) {
		for b.Loop() {
			counts, err := s.UnreadCounts()
			if err != nil || len(counts) != benchChats {
				b.Fatalf("UnreadCounts = %v, %v", counts, err)
			}
		}
	})
	b.Run("CountMessages", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.CountMessages("bench-1"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SearchRare", func(b *testing.B) {
		for b.Loop() {
			ms, err := s.Search("bench-2", "zebra", 20)
			if err != nil || len(ms) == 0 {
				b.Fatalf("Search: %d, %v", len(ms), err)
			}
		}
	})
	b.Run("SearchCommon", func(b *testing.B) {
		for b.Loop() {
			ms, err := s.Search("", "hello", 20)
			if err != nil || len(ms) != 20 {
				b.Fatalf("Search: %d, %v", len(ms), err)
			}
		}
	})
	b.Run("AddMessage", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := s.AddMessage(newMessage("bench-3", 1<<30+i, 1<<50)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("OpenLatest", func(b *testing.B) {
		// Open a second handle on the same file and read one page: the cost
		// of starting hush on a large database.
		for b.Loop() {
			s2, err := Open(path, nil)
			if err != nil {
				b.Fatal(err)
			}
			if ms, err := s2.Latest("bench-0", 50); err != nil || len(ms) != 50 {
				b.Fatalf("Latest after open: %d, %v", len(ms), err)
			}
			s2.Close()
		}
	})
}
