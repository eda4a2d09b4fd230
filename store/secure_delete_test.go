package store

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
)

// TestReplacedSecretsLeaveNoCopy: the encryption layer overwrites and
// deletes used ratchet state so that a later copy of the database cannot
// read old messages. SQLite would keep the old bytes in freed page space;
// secure_delete zeroes them, so after a clean close no earlier value is
// anywhere in the file.
func TestReplacedSecretsLeaveNoCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hush.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	value := func() []byte {
		b := make([]byte, 96)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	var old [][]byte
	kv := s.Secrets()
	for range 20 {
		v := value()
		old = append(old, v)
		if err := kv.Put("session", "alice/1", v); err != nil {
			t.Fatal(err)
		}
	}
	gone := value()
	old = append(old, gone)
	if err := kv.Put("skipped", "alice/1/7", gone); err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete("skipped", "alice/1/7"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		wal, err := os.ReadFile(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		file = append(file, wal...)
	}
	current := old[19]
	if !bytes.Contains(file, current) {
		t.Fatal("the current value is not in the file: the test reads the wrong bytes")
	}
	for i, v := range old {
		if i == 19 {
			continue
		}
		if bytes.Contains(file, v) {
			t.Errorf("value %d, replaced or deleted, is still in the database file", i)
		}
	}
}
