package session

import (
	"testing"
)

// TestFanoutSlowReader: the primary reader gets every event in order; an
// extra reader that does not read keeps what fits, is told how many it
// missed, and never holds the others back.
func TestFanoutSlowReader(t *testing.T) {
	in := make(chan Event)
	f := NewFanout(in, true)
	defer f.Stop()
	slow := f.Subscribe(4)
	fast := f.Subscribe(200)
	const n = 100
	go func() {
		for i := range n {
			in <- PeersChanged{Count: i}
		}
	}()
	for i := range n {
		ev := <-f.Events()
		if pc, ok := ev.(PeersChanged); !ok || pc.Count != i {
			t.Fatalf("primary event %d: %#v", i, ev)
		}
	}
	// The primary got event n-1, so every reader was offered all n.
	for i := range n {
		if pc := (<-fast.Events()).(PeersChanged); pc.Count != i {
			t.Fatalf("fast reader event %d: %#v", i, pc)
		}
	}
	var got []Event
	for len(slow.Events()) > 0 {
		got = append(got, <-slow.Events())
	}
	if len(got) != 4 {
		t.Fatalf("slow reader holds %d events, want its buffer's 4", len(got))
	}
	// The next event comes after a notice of the ones it missed.
	in <- Notice{Text: "next"}
	<-f.Events()
	dropped, ok := (<-slow.Events()).(EventsDropped)
	if !ok || dropped.Count != n-4 {
		t.Fatalf("slow reader: %#v, want EventsDropped{%d}", dropped, n-4)
	}
	if nt, ok := (<-slow.Events()).(Notice); !ok || nt.Text != "next" {
		t.Fatalf("slow reader after the notice: %#v", nt)
	}
	slow.Close()
	fast.Close()
}
