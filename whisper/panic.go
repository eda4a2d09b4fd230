package whisper

import (
	"fmt"
	"runtime/debug"
)

// catchPanic is deferred at the top of every goroutine the node runs code
// on (its own loops and each peer's protocol handler). A panic there would
// otherwise end the process with the terminal still in raw mode; it goes
// to Config.OnPanic instead, which restores the terminal and writes the
// trace. Without a hook the panic continues as before.
func (n *Node) catchPanic() {
	p := recover()
	if p == nil {
		return
	}
	stack := debug.Stack()
	n.log.Error("panic", "panic", fmt.Sprint(p), "stack", string(stack))
	if n.cfg.OnPanic == nil {
		panic(p)
	}
	n.cfg.OnPanic(p, stack)
}
