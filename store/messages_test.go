package store

import (
	"bytes"
	"cmp"
	"errors"
	"reflect"
	"slices"
	"testing"
)

func TestMessageRoundTrip(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "0x04cc", ChatOneToOne)
	m := newMessage("0x04cc", 1, 12345)
	m.EnvelopeHash = hashOf("env", 1)
	m.Outgoing = true
	m.State = 2
	m.Read = true
	m.Text = "héllo 👋"
	mustAdd(t, s, m)
	got, ok, err := s.Message(m.ID)
	if err != nil || !ok {
		t.Fatalf("Message: ok=%v err=%v", ok, err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("read back\n%+v\nwant\n%+v", got, m)
	}
	if _, ok, err := s.Message(hashOf("missing")); ok || err != nil {
		t.Fatalf("Message(missing) ok=%v err=%v", ok, err)
	}
}

func TestAddMessageDedup(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "c", ChatPublic)

	first := newMessage("c", 1, 10)
	first.EnvelopeHash = hashOf("env", 1)
	mustAdd(t, s, first)

	sameID := first
	sameID.EnvelopeHash = hashOf("env", 2)
	sameID.Text = "changed"
	if added, err := s.AddMessage(sameID); err != nil || added {
		t.Fatalf("same id: added=%v err=%v", added, err)
	}

	sameEnvelope := newMessage("c", 2, 11)
	sameEnvelope.EnvelopeHash = first.EnvelopeHash
	if added, err := s.AddMessage(sameEnvelope); err != nil || added {
		t.Fatalf("same envelope hash: added=%v err=%v", added, err)
	}

	got, _, _ := s.Message(first.ID)
	if got.Text != first.Text || got.EnvelopeHash != first.EnvelopeHash {
		t.Fatalf("duplicate changed the stored message: %+v", got)
	}
	if n, _ := s.CountMessages("c"); n != 1 {
		t.Fatalf("CountMessages = %d, want 1", n)
	}
	if hits, _ := s.Search("c", "changed", 10); len(hits) != 0 {
		t.Fatalf("duplicate reached the text index: %d hits", len(hits))
	}
}

func TestUnpostedMessagesDoNotCollide(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "c", ChatPublic)
	for i := range 3 {
		mustAdd(t, s, newMessage("c", i, int64(i))) // zero envelope hash each
	}
	if n, _ := s.CountMessages("c"); n != 3 {
		t.Fatalf("CountMessages = %d, want 3", n)
	}
	if has, err := s.HasEnvelope([32]byte{}); err != nil || has {
		t.Fatalf("HasEnvelope(zero) = %v, %v", has, err)
	}
}

func TestEnvelopeHashAndState(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "c", ChatPublic)
	m := newMessage("c", 1, 10)
	m.State = 1
	mustAdd(t, s, m)
	hash := hashOf("env", 1)
	if has, _ := s.HasEnvelope(hash); has {
		t.Fatal("HasEnvelope before it was set")
	}
	if err := s.SetEnvelopeHash(m.ID, hash); err != nil {
		t.Fatal(err)
	}
	if has, err := s.HasEnvelope(hash); err != nil || !has {
		t.Fatalf("HasEnvelope after set = %v, %v", has, err)
	}
	if err := s.SetState(m.ID, 2); err != nil {
		t.Fatal(err)
	}
	got, _, _ := s.Message(m.ID)
	if got.EnvelopeHash != hash || got.State != 2 {
		t.Fatalf("after updates: hash %x state %d", got.EnvelopeHash[:4], got.State)
	}
	// The envelope now marks the message as known.
	other := newMessage("c", 2, 11)
	other.EnvelopeHash = hash
	if added, err := s.AddMessage(other); err != nil || added {
		t.Fatalf("message in a known envelope: added=%v err=%v", added, err)
	}

	missing := hashOf("nope")
	if err := s.SetEnvelopeHash(missing, hashOf("env", 3)); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetEnvelopeHash(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.SetState(missing, 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetState(unknown) = %v, want ErrNotFound", err)
	}
}

func TestAddMessageNeedsChat(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "c", ChatPublic)
	if _, err := s.AddMessage(newMessage("ghost", 1, 1)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("AddMessage to unknown chat: err = %v, want ErrNotFound", err)
	}
	// A batch with one bad message stores nothing.
	batch := []Message{newMessage("c", 1, 1), newMessage("ghost", 2, 2)}
	if _, err := s.AddMessages(batch); !errors.Is(err, ErrNotFound) {
		t.Fatalf("AddMessages with unknown chat: err = %v", err)
	}
	if n, _ := s.CountMessages("c"); n != 0 {
		t.Fatalf("failed batch left %d messages", n)
	}
}

func TestAddMessagesBatch(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "a", ChatPublic)
	mustJoin(t, s, "b", ChatPublic)
	mustAdd(t, s, newMessage("a", 1, 1))
	batch := []Message{
		newMessage("a", 1, 1), // already stored
		newMessage("a", 2, 2),
		newMessage("b", 3, 3),
		newMessage("a", 2, 2), // repeated within the batch
	}
	added, err := s.AddMessages(batch)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, true, true, false}; !slices.Equal(added, want) {
		t.Fatalf("added = %v, want %v", added, want)
	}
	na, _ := s.CountMessages("a")
	nb, _ := s.CountMessages("b")
	if na != 2 || nb != 1 {
		t.Fatalf("counts a=%d b=%d, want 2 and 1", na, nb)
	}
	if got, err := s.AddMessages(nil); err != nil || len(got) != 0 {
		t.Fatalf("AddMessages(nil) = %v, %v", got, err)
	}
}

// pagingFixture stores n messages in chat "p" with clocks drawn from a few
// values, so most clocks tie and order falls to the id, plus noise in chat
// "q". It returns chat "p"'s messages in the order the store must use.
func pagingFixture(t *testing.T, s *Store, n int) []Message {
	t.Helper()
	mustJoin(t, s, "p", ChatPublic)
	mustJoin(t, s, "q", ChatPublic)
	var want, batch []Message
	for i := range n {
		m := newMessage("p", i, int64(1000+i%5))
		want = append(want, m)
		batch = append(batch, m, newMessage("q", i, int64(1000+i%5)))
	}
	if _, err := s.AddMessages(batch); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(want, func(a, b Message) int {
		return cmp.Or(cmp.Compare(a.Clock, b.Clock), bytes.Compare(a.ID[:], b.ID[:]))
	})
	return want
}

func TestLatestBeforeAfterPaging(t *testing.T) {
	s, _ := openTest(t)
	const total, page = 300, 37
	want := pagingFixture(t, s, total)

	latest, err := s.Latest("p", page)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(latest), ids(want[total-page:])) {
		t.Fatal("Latest is not the newest page in (clock, id) order")
	}

	// Walk back to the start: the pages must tile the history exactly.
	var backward []Message
	cur := latest
	for range total/page + 2 {
		if len(cur) == 0 {
			break
		}
		backward = append(slices.Clone(cur), backward...)
		cur, err = s.Before("p", cur[0].Clock, cur[0].ID, page)
		if err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(ids(backward), ids(want)) {
		t.Fatalf("Before walk gave %d messages, not the history in order", len(backward))
	}

	oldest, ok, err := s.Oldest("p")
	if err != nil || !ok || oldest.ID != want[0].ID {
		t.Fatalf("Oldest = %x ok=%v err=%v, want %x", oldest.ID[:4], ok, err, want[0].ID[:4])
	}
	forward := []Message{oldest}
	for range total/page + 2 {
		last := forward[len(forward)-1]
		next, err := s.After("p", last.Clock, last.ID, page)
		if err != nil {
			t.Fatal(err)
		}
		if len(next) == 0 {
			break
		}
		forward = append(forward, next...)
	}
	if !slices.Equal(ids(forward), ids(want)) {
		t.Fatalf("After walk gave %d messages, not the history in order", len(forward))
	}

	// A position in the middle of a run of equal clocks.
	mid := want[150]
	got, _ := s.Before("p", mid.Clock, mid.ID, 3)
	if !slices.Equal(ids(got), ids(want[147:150])) {
		t.Fatal("Before(mid) is wrong")
	}
	got, _ = s.After("p", mid.Clock, mid.ID, 3)
	if !slices.Equal(ids(got), ids(want[151:154])) {
		t.Fatal("After(mid) is wrong")
	}
	if all, _ := s.Latest("p", 10*total); len(all) != total {
		t.Fatalf("Latest(more than stored) = %d messages, want %d", len(all), total)
	}
	if none, err := s.Latest("nope", 10); err != nil || len(none) != 0 {
		t.Fatalf("Latest(unknown chat) = %d, %v", len(none), err)
	}
	if _, ok, err := s.Oldest("nope"); ok || err != nil {
		t.Fatalf("Oldest(unknown chat) ok=%v err=%v", ok, err)
	}
	if n, _ := s.CountMessages("p"); n != total {
		t.Fatalf("CountMessages = %d, want %d", n, total)
	}
}

func TestUnreadCountsAndMarkRead(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "a", ChatPublic)
	mustJoin(t, s, "b", ChatPublic)
	mustJoin(t, s, "quiet", ChatPublic)
	add := func(chat string, n int, outgoing, read bool) {
		m := newMessage(chat, n, int64(n))
		m.Outgoing, m.Read = outgoing, read
		mustAdd(t, s, m)
	}
	for i := range 4 {
		add("a", i, false, false)
	}
	add("a", 10, true, false) // outgoing never counts
	add("a", 11, false, true) // already read
	add("b", 20, false, false)
	add("quiet", 30, false, true)

	counts, err := s.UnreadCounts()
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"a": 4, "b": 1}; !reflect.DeepEqual(counts, want) {
		t.Fatalf("UnreadCounts = %v, want %v", counts, want)
	}
	if err := s.MarkRead("a"); err != nil {
		t.Fatal(err)
	}
	counts, _ = s.UnreadCounts()
	if want := map[string]int{"b": 1}; !reflect.DeepEqual(counts, want) {
		t.Fatalf("after MarkRead(a): %v, want %v", counts, want)
	}
	ms, _ := s.Latest("a", 10)
	for _, m := range ms {
		if !m.Outgoing && !m.Read {
			t.Fatalf("message %d still unread", m.Clock)
		}
	}
	if err := s.MarkRead("unknown"); err != nil {
		t.Fatalf("MarkRead(unknown) = %v", err)
	}
	// The counters follow later rows too, and a duplicate counts once.
	add("a", 40, false, false)
	if added, err := s.AddMessage(newMessage("b", 20, 20)); err != nil || added {
		t.Fatalf("AddMessage(duplicate) = %v, %v", added, err)
	}
	counts, _ = s.UnreadCounts()
	if want := map[string]int{"a": 1, "b": 1}; !reflect.DeepEqual(counts, want) {
		t.Fatalf("after new rows: %v, want %v", counts, want)
	}
}

// TestStoredEnvelopes: the batch lookup finds exactly the stored hashes,
// across more than one query chunk, and never the zero hash of an
// unposted message.
func TestStoredEnvelopes(t *testing.T) {
	s, _ := openTest(t)
	mustJoin(t, s, "c", ChatPublic)
	const n = envelopeLookupChunk + 20
	var stored, asked [][32]byte
	for i := range n {
		m := newMessage("c", i, int64(i))
		if i%3 == 0 {
			m.EnvelopeHash = hashOf("env", i)
			stored = append(stored, m.EnvelopeHash)
		}
		mustAdd(t, s, m)
		asked = append(asked, hashOf("env", i))
	}
	mustAdd(t, s, newMessage("c", n, int64(n))) // unposted: zero hash
	asked = append(asked, [32]byte{}, hashOf("env", 2*n))
	found, err := s.StoredEnvelopes(asked)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != len(stored) {
		t.Fatalf("found %d of %d stored envelopes", len(found), len(stored))
	}
	for _, h := range stored {
		if !found[h] {
			t.Fatalf("stored envelope %x not found", h[:4])
		}
	}
	if found[[32]byte{}] {
		t.Fatal("the zero hash was reported stored")
	}
	if got, err := s.StoredEnvelopes(nil); err != nil || len(got) != 0 {
		t.Fatalf("no hashes: %v, %v", got, err)
	}
}
