package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// crashed writes a trace file for panic value p and returns the error Run
// reports. The terminal has already been restored when it runs.
func (u *UI) crashed(p any, stack []byte) error {
	path, err := CrashReport(u.dataDir, p, stack)
	if err != nil {
		return fmt.Errorf("ui panic: %v (writing trace file failed: %v)", p, err)
	}
	u.log.Error("ui panic", "panic", fmt.Sprint(p), "trace", path)
	return fmt.Errorf("ui panic: %v (trace written to %s)", p, path)
}

// CrashReport writes hush-panic-<time>.txt (mode 0600) with the panic value
// and the goroutine stack into dir (the system temp directory when dir is
// empty) and returns its path. main uses it for panics outside the UI too.
func CrashReport(dir string, p any, stack []byte) (string, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	now := time.Now()
	name := fmt.Sprintf("hush-panic-%s.txt", now.Format("20060102-150405.000000000"))
	path := filepath.Join(dir, name)
	content := fmt.Sprintf("hush panicked at %s\n\npanic: %v\n\n%s", now.Format(time.RFC3339Nano), p, stack)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}
