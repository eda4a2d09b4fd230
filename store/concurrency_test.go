package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentWritersAndReaders drives the store from several goroutines
// at once, as the session does; every write must land (no SQLITE_BUSY) and
// readers must never fail.
func TestConcurrentWritersAndReaders(t *testing.T) {
	s, _ := openTest(t)
	const writers, perWriter, readers = 4, 60, 3
	for w := range writers {
		mustJoin(t, s, fmt.Sprintf("chat-%d", w), ChatPublic)
	}

	var (
		wg       sync.WaitGroup
		writing  sync.WaitGroup
		done     atomic.Bool
		errs     = make(chan error, writers+readers)
		archived atomic.Int64
	)
	for w := range writers {
		wg.Add(1)
		writing.Add(1)
		go func() {
			defer wg.Done()
			defer writing.Done()
			chat := fmt.Sprintf("chat-%d", w)
			shared := "chat-0"
			for i := range perWriter {
				var err error
				switch i % 4 {
				case 0:
					_, err = s.AddMessage(newMessage(chat, w*1000+i, int64(i)))
				case 1:
					// Writers collide in one chat too.
					_, err = s.AddMessages([]Message{newMessage(shared, w*1000+i, int64(i))})
				case 2:
					err = s.SetLastClock(chat, int64(i))
				case 3:
					err = s.ArchivePut([][]byte{archiveKey(uint32(i), w*1000+i)}, [][]byte{{byte(w)}})
					archived.Add(1)
				}
				if err != nil {
					errs <- fmt.Errorf("writer %d step %d: %w", w, i, err)
					return
				}
			}
		}()
	}
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10000 && !done.Load(); i++ {
				chat := fmt.Sprintf("chat-%d", (r+i)%writers)
				if _, err := s.Latest(chat, 20); err != nil {
					errs <- fmt.Errorf("reader %d Latest: %w", r, err)
					return
				}
				if _, err := s.UnreadCounts(); err != nil {
					errs <- fmt.Errorf("reader %d UnreadCounts: %w", r, err)
					return
				}
				if _, err := s.Search("", "message", 5); err != nil {
					errs <- fmt.Errorf("reader %d Search: %w", r, err)
					return
				}
			}
		}()
	}
	writing.Wait()
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	total := 0
	for w := range writers {
		n, err := s.CountMessages(fmt.Sprintf("chat-%d", w))
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if want := writers * perWriter / 2; total != want {
		t.Fatalf("stored %d messages, want %d", total, want)
	}
	if c, _ := s.ArchiveCount(); c != archived.Load() {
		t.Fatalf("ArchiveCount = %d, want %d", c, archived.Load())
	}
	unread, _ := s.UnreadCounts()
	sum := 0
	for _, n := range unread {
		sum += n
	}
	if sum != total {
		t.Fatalf("unread total %d, want %d", sum, total)
	}
}
