package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// LockFile is the name of the lock file in a data directory.
const LockFile = "hush.lock"

// DirLock is an exclusive claim on a data directory: two processes sharing
// one database and one node key would each break the other (the node key
// names one peer on the network; two writers would interleave sync marks).
// The lock is a flock(2) on DATA-DIR/hush.lock, so the kernel drops it when
// the process ends, kill -9 included; the file holds the owner's pid so a
// second start can say which process holds it.
type DirLock struct {
	f    *os.File
	path string
}

// LockedError is returned by LockDir when another process holds the lock.
type LockedError struct {
	Path string // the lock file
	PID  int    // the holder's pid as written in the file; 0 when unreadable
}

func (e *LockedError) Error() string {
	holder := "another process"
	if e.PID > 0 {
		holder = fmt.Sprintf("process %d", e.PID)
	}
	return fmt.Sprintf("data dir is in use by %s (lock file %s)", holder, e.Path)
}

// LockDir takes the lock on dir, which must exist, without waiting: when
// another process holds it, it fails at once with a *LockedError.
func LockDir(dir string) (*DirLock, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, &LockedError{Path: path, PID: holderPID(path)}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	l := &DirLock{f: f, path: path}
	if _, err := PrivateFile(path); err != nil {
		l.Unlock()
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := f.Truncate(0); err != nil {
		l.Unlock()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		l.Unlock()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return l, nil
}

// Path is the lock file's path.
func (l *DirLock) Path() string { return l.path }

// Unlock releases the lock. The file stays: removing it would let a process
// that opened it before the removal lock a file nobody else can find.
func (l *DirLock) Unlock() error {
	l.f.Truncate(0)
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("unlock %s: %w", l.path, err)
	}
	return nil
}

// flock retries when a signal interrupts the call.
func flock(f *os.File, how int) error {
	for range 100 {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
	return unix.EINTR
}

// holderPID reads the pid the lock's holder wrote. A holder that has just
// taken the lock may not have written it yet, so an empty file is read again
// for a short while.
func holderPID(path string) int {
	for range 20 {
		raw, err := os.ReadFile(path)
		if err != nil {
			return 0
		}
		if s := strings.TrimSpace(string(raw)); s != "" {
			pid, err := strconv.Atoi(s)
			if err != nil || pid <= 0 {
				return 0
			}
			return pid
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0
}
