package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/gdamore/tcell/v2"

	"hush/ui"
)

// crasher ends the process after a panic on a goroutine of the node or the
// session (the UI loop handles its own): without it the runtime would print
// the trace onto the alternate screen and leave the terminal in raw mode.
type crasher struct {
	dataDir string
	log     *slog.Logger
	stderr  io.Writer
	exit    func(code int) // os.Exit; tests pass their own

	once   sync.Once
	mu     sync.Mutex
	screen *crashScreen // nil until the terminal exists
}

// crash restores the terminal (when the UI has taken it), writes the trace
// file, logs, prints one line to stderr naming the file and exits with
// status 2. It has the signature of whisper's and session's Config.OnPanic
// and may be called from any goroutine, any number of times: the first call
// wins, later ones wait for the exit.
func (c *crasher) crash(value any, stack []byte) {
	c.once.Do(func() {
		c.mu.Lock()
		screen := c.screen
		c.mu.Unlock()
		if screen != nil {
			screen.Fini()
		}
		path, err := ui.CrashReport(c.dataDir, value, stack)
		if err != nil {
			c.log.Error("panic", "panic", fmt.Sprint(value), "trace", "not written: "+err.Error())
			fmt.Fprintf(c.stderr, "hush: panic: %v (writing the trace failed: %v)\n", value, err)
		} else {
			c.log.Error("panic", "panic", fmt.Sprint(value), "trace", path)
			fmt.Fprintf(c.stderr, "hush: panic: %v (trace written to %s)\n", value, path)
		}
		c.exit(2)
	})
}

// wrap returns s in a form crash can finalise from any goroutine, and
// remembers it. Pass the result to the UI.
func (c *crasher) wrap(s tcell.Screen) tcell.Screen {
	cs := &crashScreen{Screen: s}
	c.mu.Lock()
	c.screen = cs
	c.mu.Unlock()
	return cs
}

// errScreenClosed is what Init returns after a crash finalised the screen.
var errScreenClosed = errors.New("terminal already restored after a panic")

// crashScreen lets Fini run before, during or after Init from another
// goroutine: tcell's Fini on a screen that was never initialised panics,
// and an Init after the crash would take the terminal again just before the
// process exits.
type crashScreen struct {
	tcell.Screen
	mu     sync.Mutex
	inited bool
	closed bool
}

// Init implements tcell.Screen.
func (s *crashScreen) Init() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errScreenClosed
	}
	if err := s.Screen.Init(); err != nil {
		return err
	}
	s.inited = true
	return nil
}

// Fini implements tcell.Screen.
func (s *crashScreen) Fini() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inited && !s.closed {
		s.Screen.Fini()
	}
	s.closed = true
}
