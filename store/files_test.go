package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestPrivateFiles: with a permissive umask and a data dir left 0755, the
// dir ends 0700 and the database, its side files and the lock file 0600;
// an existing world-readable database is tightened too.
func TestPrivateFiles(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	was, err := PrivateDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if was != 0o755 {
		t.Fatalf("PrivateDir reported the old mode %#o, want 0755", was)
	}
	if again, err := PrivateDir(dir); err != nil || again != 0 {
		t.Fatalf("second PrivateDir: %#o, %v; want 0, nil", again, err)
	}
	lock, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()

	dbPath := filepath.Join(dir, "hush.db")
	s, err := Open(dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustJoin(t, s, "status", ChatPublic)
	mustAdd(t, s, newMessage("status", 1, 100))
	// The -wal and -shm exist while the store is open.
	wantMode(t, dir, 0o700)
	for _, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm", lock.Path()} {
		wantMode(t, p, 0o600)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A database left world-readable (by an older hush) is tightened at
	// Open, and so are its side files.
	archive := filepath.Join(dir, "archive.db")
	for _, p := range []string{archive, archive + "-wal", archive + "-shm"} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, err := Open(archive, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.ArchivePut([][]byte{[]byte("k")}, [][]byte{[]byte("v")}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{archive, archive + "-wal", archive + "-shm"} {
		wantMode(t, p, 0o600)
	}
}

func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %#o, want %#o", filepath.Base(path), got, want)
	}
}

// TestLockDir: a second lock on the same dir fails at once with an error
// naming the lock file and the holder's pid; after Unlock it succeeds.
func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	first, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(first.Path())
	if err != nil || strings.TrimSpace(string(raw)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("lock file holds %q (%v), want this pid", raw, err)
	}

	// flock locks belong to the open file, so a second open in the same
	// process conflicts just as another process would.
	second, err := LockDir(dir)
	var locked *LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second LockDir: %v, %v; want a LockedError", second, err)
	}
	if locked.PID != os.Getpid() || locked.Path != filepath.Join(dir, LockFile) {
		t.Fatalf("LockedError %+v", locked)
	}
	msg := err.Error()
	if !strings.Contains(msg, filepath.Join(dir, LockFile)) || !strings.Contains(msg, strconv.Itoa(os.Getpid())) || strings.Contains(msg, "\n") {
		t.Fatalf("error %q does not name the lock file and pid on one line", msg)
	}

	if err := first.Unlock(); err != nil {
		t.Fatal(err)
	}
	third, err := LockDir(dir)
	if err != nil {
		t.Fatalf("LockDir after Unlock: %v", err)
	}
	third.Unlock()
}
