package session

import "sync"

// EventsDropped tells an extra reader of a Fanout that it fell behind and
// missed Count events; it comes before the next event it does get.
type EventsDropped struct{ Count int }

func (EventsDropped) isEvent() {}

// Fanout hands a session's events to more than its one subscriber. The
// primary reader (the UI) gets every event, and the session waits for it as
// before. Each extra reader (the scripting API's subscribers) has a
// bounded buffer: one that falls behind loses events and is told how many
// (EventsDropped), so it can never stall the session or the UI.
type Fanout struct {
	in      <-chan Event
	primary chan Event // nil without a primary reader

	mu   sync.Mutex
	subs map[*EventSub]bool

	quit     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// EventSub is one extra reader of a Fanout.
type EventSub struct {
	f       *Fanout
	c       chan Event
	dropped int // guarded by f.mu
}

// NewFanout reads events until Stop. With primary, Events returns the
// primary reader's channel.
func NewFanout(events <-chan Event, primary bool) *Fanout {
	f := &Fanout{
		in:   events,
		subs: make(map[*EventSub]bool),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	if primary {
		f.primary = make(chan Event)
	}
	go f.run()
	return f
}

// Events is the primary reader's channel; nil without one.
func (f *Fanout) Events() <-chan Event { return f.primary }

// Subscribe adds an extra reader with room for buffer events.
func (f *Fanout) Subscribe(buffer int) *EventSub {
	s := &EventSub{f: f, c: make(chan Event, max(buffer, 2))}
	f.mu.Lock()
	f.subs[s] = true
	f.mu.Unlock()
	return s
}

// Events is the reader's channel.
func (s *EventSub) Events() <-chan Event { return s.c }

// Close removes the reader.
func (s *EventSub) Close() {
	s.f.mu.Lock()
	delete(s.f.subs, s)
	s.f.mu.Unlock()
}

// Stop ends the fan-out; the session must be stopped first or its events
// are no longer read.
func (f *Fanout) Stop() {
	f.stopOnce.Do(func() { close(f.quit) })
	<-f.done
}

func (f *Fanout) run() {
	defer close(f.done)
	for {
		var ev Event
		select {
		case <-f.quit:
			return
		case ev = <-f.in:
		}
		f.mu.Lock()
		for s := range f.subs {
			s.offer(ev)
		}
		f.mu.Unlock()
		if f.primary != nil {
			select {
			case f.primary <- ev:
			case <-f.quit:
				return
			}
		}
	}
}

// offer gives ev to the reader without waiting; callers hold f.mu.
func (s *EventSub) offer(ev Event) {
	if s.dropped > 0 {
		select {
		case s.c <- EventsDropped{Count: s.dropped}:
			s.dropped = 0
		default:
			s.dropped++
			return
		}
	}
	select {
	case s.c <- ev:
	default:
		s.dropped++
	}
}
