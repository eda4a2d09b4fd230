package store

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
)

// The data directory holds every message the user sent or received, the
// identity keystore and the node key: no other local user may read it.
const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
)

// sideFiles are the suffixes of the files SQLite keeps beside a database.
var sideFiles = []string{"-wal", "-shm", "-journal"}

// PrivateDir creates dir (and its parents) with mode 0700. When dir exists
// with permissions for the group or others, it is tightened to 0700 and the
// mode it had is returned, so the caller can say so; otherwise loosened is 0.
func PrivateDir(dir string) (loosened fs.FileMode, err error) {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return 0, fmt.Errorf("data dir: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, fmt.Errorf("data dir: %w", err)
	}
	if !fi.IsDir() {
		return 0, fmt.Errorf("data dir %s: not a directory", dir)
	}
	perm := fi.Mode().Perm()
	if perm&0o077 == 0 {
		return 0, nil
	}
	if err := os.Chmod(dir, dirMode); err != nil {
		return 0, fmt.Errorf("data dir %s: tighten mode %#o: %w", dir, perm, err)
	}
	return perm, nil
}

// PrivateFile takes permissions for the group and others off the file at
// path, if it exists and is a regular file. It reports the mode the file
// had when it changed it, and 0 otherwise.
func PrivateFile(path string) (loosened fs.FileMode, err error) {
	fi, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	perm := fi.Mode().Perm()
	if !fi.Mode().IsRegular() || perm&0o077 == 0 {
		return 0, nil
	}
	if err := os.Chmod(path, perm&^0o077); err != nil {
		return 0, fmt.Errorf("tighten mode of %s: %w", path, err)
	}
	return perm, nil
}

// privateDB makes sure the database file at path exists with mode 0600
// before SQLite opens it: SQLite creates the -wal and -shm files with the
// mode of the main file, so this keeps all three private whatever the umask.
// Files left looser by an older hush are tightened, with a log line.
func privateDB(path string, logger *slog.Logger) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range append([]string{path}, sideFilePaths(path)...) {
		was, err := PrivateFile(p)
		if err != nil {
			return err
		}
		if was != 0 {
			logger.Warn("tightened file mode", "file", p, "was", fmt.Sprintf("%#o", was), "now", fmt.Sprintf("%#o", was&^0o077))
		}
	}
	return nil
}

func sideFilePaths(path string) []string {
	out := make([]string, len(sideFiles))
	for i, s := range sideFiles {
		out[i] = path + s
	}
	return out
}
