package whisper

import (
	"bufio"
	"errors"
	"net"
	"sync"
	"time"
)

// go-ethereum's rlpx transport writes each devp2p message in four or five
// Write calls (header, code, payload, padding, MAC) and reads it in two, on
// a socket Go opens with TCP_NODELAY: one system call and one TCP segment
// per piece. A mailserver sends one message per archived envelope (geth
// peers drop a list), so those calls were three quarters of its serving
// time. coalescedConn gathers the pieces: writes go into a buffer that one
// writer goroutine sends with as few calls as the peer's pace allows (an
// idle connection still sends each message at once, no timer, no Nagle
// delay), and reads come through a buffered reader. The bytes on the wire
// are the same.
const (
	coalesceReadBuffer = 64 << 10
	coalesceMaxPending = 16 << 10 // Write blocks while this much waits: a server's "sent" stays close to "on the wire"
	coalesceCloseWait  = time.Second
)

// errConnClosed is what Write returns after Close.
var errConnClosed = errors.New("connection closed")

type coalescedConn struct {
	net.Conn
	r *bufio.Reader

	mu      sync.Mutex
	cond    *sync.Cond
	pending []byte // waiting for the writer
	err     error  // the writer's first error, or errConnClosed
	closing bool
	done    chan struct{} // writer exited
}

func coalesce(c net.Conn) net.Conn {
	cc := &coalescedConn{Conn: c, r: bufio.NewReaderSize(c, coalesceReadBuffer), done: make(chan struct{})}
	cc.cond = sync.NewCond(&cc.mu)
	go cc.writeLoop()
	return cc
}

func (c *coalescedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// Write queues p for the writer. Like a TCP write, success means the
// bytes are queued, not delivered; a failed send shows on the next Write.
func (c *coalescedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.err == nil && len(c.pending) > 0 && len(c.pending)+len(p) > coalesceMaxPending {
		c.cond.Wait()
	}
	if c.err != nil {
		return 0, c.err
	}
	c.pending = append(c.pending, p...)
	c.cond.Broadcast()
	return len(p), nil
}

func (c *coalescedConn) writeLoop() {
	defer close(c.done)
	var batch []byte
	for {
		c.mu.Lock()
		c.cond.Broadcast() // room for blocked writers
		for len(c.pending) == 0 && c.err == nil && !c.closing {
			c.cond.Wait()
		}
		if c.err != nil || len(c.pending) == 0 {
			c.mu.Unlock()
			return
		}
		batch, c.pending = c.pending, batch[:0]
		c.mu.Unlock()
		if _, err := c.Conn.Write(batch); err != nil {
			c.mu.Lock()
			if c.err == nil {
				c.err = err
			}
			c.pending = nil
			c.cond.Broadcast()
			c.mu.Unlock()
			return
		}
	}
}

// Close sends what is queued (devp2p's disconnect reason comes last, under
// the write deadline rlpx set), waiting at most coalesceCloseWait, then
// closes the socket.
func (c *coalescedConn) Close() error {
	c.mu.Lock()
	c.closing = true
	c.cond.Broadcast()
	c.mu.Unlock()
	select {
	case <-c.done:
	case <-time.After(coalesceCloseWait):
	}
	err := c.Conn.Close()
	c.mu.Lock()
	if c.err == nil {
		c.err = errConnClosed
	}
	c.cond.Broadcast()
	c.mu.Unlock()
	return err
}
