package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/log"

	"hush/store"
)

// logToStderr is the --log-file value that means standard error.
const logToStderr = "-"

// logPath is where the log goes: the client's to a file in the data dir
// (never the terminal its UI draws on), serve's to stderr unless told.
func logPath(opts options) string {
	switch {
	case opts.logFile != "":
		return opts.logFile
	case opts.command == cmdServe:
		return logToStderr
	default:
		return filepath.Join(opts.dataDir, "hush.log")
	}
}

// openLog opens hush's log and routes go-ethereum's own log lines through
// the same handler, so the log has one format.
func openLog(opts options, stderr io.Writer) (*slog.Logger, func(), error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(opts.logLevel)); err != nil {
		return nil, nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", opts.logLevel)
	}
	var (
		w     = stderr
		close = func() {}
	)
	if path := logPath(opts); path != logToStderr {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("open log: %w", err)
		}
		// The log names chats and peers: an existing one left readable by
		// others is tightened (PrivateFile leaves /dev/null and pipes alone).
		if _, err := store.PrivateFile(path); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("open log: %w", err)
		}
		w, close = f, func() { f.Close() }
	}
	logger := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	log.Root().SetHandler(gethHandler(logger.With("part", "p2p")))
	return logger, close, nil
}

// gethHandler turns go-ethereum's log records into slog records. The
// level filter is the slog handler's.
func gethHandler(logger *slog.Logger) log.Handler {
	return log.FuncHandler(func(r *log.Record) error {
		level := gethLevel(r.Lvl)
		ctx := context.Background()
		if !logger.Enabled(ctx, level) {
			return nil
		}
		logger.Log(ctx, level, r.Msg, r.Ctx...)
		return nil
	})
}

func gethLevel(l log.Lvl) slog.Level {
	switch l {
	case log.LvlCrit, log.LvlError:
		return slog.LevelError
	case log.LvlWarn:
		return slog.LevelWarn
	case log.LvlInfo:
		return slog.LevelInfo
	default:
		// Trace and debug: geth's trace is chattier than anything hush
		// logs at debug.
		return slog.LevelDebug - 4*slog.Level(l-log.LvlDebug)
	}
}
