package whisper

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// loopbackPair is a TCP connection on 127.0.0.1: the coalesced client end
// and the plain server end.
func loopbackPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	if s == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { s.Close() })
	return coalesce(c), s
}

// Many small writes, more than the pending limit, arrive whole and in order,
// and Close sends what is still queued before closing.
func TestCoalescedConnKeepsOrderAndFlushesOnClose(t *testing.T) {
	c, s := loopbackPair(t)
	var want bytes.Buffer
	for i := range 20000 {
		piece := bytes.Repeat([]byte{byte(i)}, 1+i%40)
		want.Write(piece)
		if _, err := c.Write(piece); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if want.Len() <= coalesceMaxPending {
		t.Fatalf("test writes %d bytes, not past the pending limit", want.Len())
	}
	got := make(chan []byte, 1)
	go func() {
		s.SetReadDeadline(time.Now().Add(60 * time.Second))
		b, _ := io.ReadAll(s)
		got <- b
	}()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want.Bytes()) {
		t.Fatalf("read %d bytes, want the %d written, in order", len(b), want.Len())
	}
	if _, err := c.Write([]byte("late")); !errors.Is(err, errConnClosed) {
		t.Fatalf("write after close: %v, want %v", err, errConnClosed)
	}
}

// Reads come through the buffer: what the peer sends in one piece can be
// read in several.
func TestCoalescedConnReads(t *testing.T) {
	c, s := loopbackPair(t)
	defer c.Close()
	if _, err := s.Write([]byte("header-and-frame")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(60 * time.Second))
	head := make([]byte, 6)
	if _, err := io.ReadFull(c, head); err != nil || string(head) != "header" {
		t.Fatalf("read %q, %v", head, err)
	}
	rest := make([]byte, 10)
	if _, err := io.ReadFull(c, rest); err != nil || string(rest) != "-and-frame" {
		t.Fatalf("read %q, %v", rest, err)
	}
}

// A peer that is gone makes a later Write fail instead of queueing forever.
func TestCoalescedConnReportsWriteError(t *testing.T) {
	c, s := loopbackPair(t)
	defer c.Close()
	s.(*net.TCPConn).SetLinger(0) // reset, so that our sends fail
	s.Close()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := c.Write(make([]byte, 1024)); err != nil {
			return
		}
	}
	t.Fatal("writes to a reset connection kept succeeding")
}
