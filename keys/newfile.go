package keys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ensureDataDir creates dataDir readable only by the user. An existing
// directory keeps its mode: it may be one the user chose and shares.
func ensureDataDir(dataDir string) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	return nil
}

// writeNewFile writes data to path with mode 0600 so that path either does
// not exist or holds all of data, even after a crash, and never replaces an
// existing file: it returns an fs.ErrExist-wrapped error instead.
func writeNewFile(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temp file: %w", err)
	}
	tmpName := tmp.Name()
	// The temp file is only a staging name; once linked (or renamed) into
	// place, or on failure, it must go.
	defer os.Remove(tmpName)

	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod temp file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write temp file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync temp file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close temp file: %w", err)
	}

	if err := publish(tmpName, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// publish moves the finished temp file to path. A hard link fails atomically
// when path exists, which a rename cannot do; rename is the fallback for
// file systems without hard links, guarded by a (racy) existence check.
func publish(tmpName, path string) error {
	linkErr := os.Link(tmpName, path)
	if linkErr == nil {
		return nil
	}
	if errors.Is(linkErr, fs.ErrExist) {
		return fmt.Errorf("%s: %w", path, fs.ErrExist)
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s: %w", path, fs.ErrExist)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("move %s into place: %w", path, err)
	}
	return nil
}

// syncDir makes the new directory entry durable. Some platforms cannot
// fsync a directory; the file content is already synced, so failure here
// only risks losing a just-created file on power loss, and is ignored.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
