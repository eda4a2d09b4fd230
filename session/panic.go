package session

import (
	"fmt"
	"runtime/debug"
)

// catchPanic is deferred at the top of every session goroutine: a panic
// goes to Config.OnPanic (which restores the terminal and writes the
// trace) rather than ending the process with the terminal in raw mode.
// Without a hook the panic continues as before.
func (m *Manager) catchPanic() {
	p := recover()
	if p == nil {
		return
	}
	stack := debug.Stack()
	m.log.Error("panic", "panic", fmt.Sprint(p), "stack", string(stack))
	if m.cfg.OnPanic == nil {
		panic(p)
	}
	m.cfg.OnPanic(p, stack)
}
