// Package archivetest is the one table of tests every `hush serve` archive
// passes (the SQLite store and the PostgreSQL archive): the contract of the
// mailserver's Archive, plus pruning and sizing. It is for _test.go files.
//
// Keys follow the mailserver layout, BE32(sent) ‖ hash ‖ topic, built here
// without importing the mailserver (store does not depend on whisper).
package archivetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// Archive is what the tests use of an archive.
type Archive interface {
	ArchivePut(keys, raws [][]byte) error
	ArchiveRead(from, to []byte, topics [][]byte, limit int) (keys, raws [][]byte, err error)
	ArchiveTopics() ([][]byte, error)
	ArchivePrune(before []byte) (int64, error)
	ArchiveSize() (envelopes, bytes int64, err error)
}

// Opener makes archives for the tests.
type Opener struct {
	// Open returns a new, empty archive, closed when t ends.
	Open func(t *testing.T) Archive
	// OpenAgain returns a second handle on a's storage, as a second server
	// sharing it would hold; nil when the archive cannot be shared.
	OpenAgain func(t *testing.T, a Archive) Archive
}

// Key is the mailserver key of envelope n sent at sent with the given topic.
func Key(sent uint32, n int, topic []byte) []byte {
	k := binary.BigEndian.AppendUint32(nil, sent)
	h := sha256.Sum256(fmt.Append(nil, "envelope", n))
	k = append(k, h[:]...)
	return append(k, topic...)
}

// Topic is the n-th test topic.
func Topic(n int) []byte { return []byte{0xa0, 0x00, byte(n >> 8), byte(n)} }

// To is the exclusive end of keys sent at or before upper.
func To(upper uint32) []byte { return binary.BigEndian.AppendUint32(nil, upper+1) }

// From is the first key sent at lower.
func From(lower uint32) []byte { return binary.BigEndian.AppendUint32(nil, lower) }

// Run runs every test against archives from o.
func Run(t *testing.T, o Opener) {
	t.Run("PutReadOrder", func(t *testing.T) { testPutReadOrder(t, o) })
	t.Run("Dedup", func(t *testing.T) { testDedup(t, o) })
	t.Run("ReadByTopics", func(t *testing.T) { testReadByTopics(t, o) })
	t.Run("ReadBounds", func(t *testing.T) { testReadBounds(t, o) })
	t.Run("Topics", func(t *testing.T) { testTopics(t, o) })
	t.Run("Prune", func(t *testing.T) { testPrune(t, o) })
	t.Run("Size", func(t *testing.T) { testSize(t, o) })
	t.Run("SharedWriters", func(t *testing.T) { testSharedWriters(t, o) })
}

// row is one stored pair.
type row struct{ key, raw []byte }

// fill stores n envelopes over topics 0..topics-1, sent base..base+spread-1,
// inserted out of key order, and returns them in key order.
func fill(t *testing.T, a Archive, n, topics int, base, spread uint32) []row {
	t.Helper()
	var keys, raws [][]byte
	for i := range n {
		keys = append(keys, Key(base+uint32(i*7919)%spread, i, Topic(i%topics)))
		raws = append(raws, fmt.Appendf(nil, "raw %d", i))
	}
	for start := 0; start < n; start += 300 {
		end := min(start+300, n)
		if err := a.ArchivePut(keys[start:end], raws[start:end]); err != nil {
			t.Fatal(err)
		}
	}
	rows := make([]row, n)
	for i := range keys {
		rows[i] = row{keys[i], raws[i]}
	}
	slices.SortFunc(rows, func(x, y row) int { return bytes.Compare(x.key, y.key) })
	return rows
}

func read(t *testing.T, a Archive, from, to []byte, topics [][]byte, limit int) []row {
	t.Helper()
	keys, raws, err := a.ArchiveRead(from, to, topics, limit)
	if err != nil {
		t.Fatalf("ArchiveRead: %v", err)
	}
	if len(keys) != len(raws) {
		t.Fatalf("ArchiveRead: %d keys, %d raws", len(keys), len(raws))
	}
	rows := make([]row, len(keys))
	for i := range keys {
		rows[i] = row{keys[i], raws[i]}
	}
	return rows
}

// expect filters rows by range and topics and cuts at limit.
func expect(rows []row, from, to []byte, topics [][]byte, limit int) []row {
	var out []row
	for _, r := range rows {
		if len(out) == limit {
			break
		}
		if bytes.Compare(r.key, from) < 0 || bytes.Compare(r.key, to) >= 0 {
			continue
		}
		if topics != nil && !slices.ContainsFunc(topics, func(tp []byte) bool { return bytes.HasSuffix(r.key, tp) }) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func same(t *testing.T, what string, got, want []row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].key, want[i].key) || !bytes.Equal(got[i].raw, want[i].raw) {
			t.Fatalf("%s: row %d is %x=%q, want %x=%q", what, i, got[i].key[:8], got[i].raw, want[i].key[:8], want[i].raw)
		}
	}
}

func testPutReadOrder(t *testing.T, o Opener) {
	a := o.Open(t)
	rows := fill(t, a, 1337, 5, 1000, 300)
	same(t, "everything", read(t, a, From(0), To(5000), nil, 5000), rows)
	// The returned slices are the caller's: scribbling on them changes nothing stored.
	got := read(t, a, From(0), To(5000), nil, 10)
	for _, r := range got {
		for i := range r.raw {
			r.raw[i] = 'x'
		}
	}
	same(t, "after scribbling", read(t, a, From(0), To(5000), nil, 10), rows[:10])
	// Paging by "the smallest key above the last one" walks everything once.
	var paged []row
	from := From(0)
	for range 100 {
		page := read(t, a, from, To(5000), nil, 97)
		paged = append(paged, page...)
		if len(page) < 97 {
			break
		}
		from = append(bytes.Clone(page[len(page)-1].key), 0)
	}
	same(t, "paged", paged, rows)
}

func testDedup(t *testing.T, o Opener) {
	a := o.Open(t)
	k1, k2 := Key(100, 1, Topic(1)), Key(100, 2, Topic(1))
	if err := a.ArchivePut([][]byte{k2, k1}, [][]byte{[]byte("two"), []byte("one")}); err != nil {
		t.Fatal(err)
	}
	// Again, and twice in one batch: the first value stays, nothing doubles.
	if err := a.ArchivePut([][]byte{k1, k2, k2}, [][]byte{[]byte("uno"), []byte("dos"), []byte("deux")}); err != nil {
		t.Fatalf("put of stored keys: %v", err)
	}
	want := []row{{k1, []byte("one")}, {k2, []byte("two")}}
	slices.SortFunc(want, func(x, y row) int { return bytes.Compare(x.key, y.key) })
	same(t, "after re-put", read(t, a, From(0), To(1000), nil, 10), want)
	if n, _, err := a.ArchiveSize(); err != nil || n != 2 {
		t.Fatalf("ArchiveSize = %d, %v; want 2", n, err)
	}
	if err := a.ArchivePut(nil, nil); err != nil {
		t.Fatalf("empty put: %v", err)
	}
	if err := a.ArchivePut([][]byte{k1}, nil); err == nil {
		t.Fatal("put with fewer raws than keys succeeded")
	}
}

func testReadByTopics(t *testing.T, o Opener) {
	a := o.Open(t)
	const topics = 80 // past the per-topic branches of both archives
	rows := fill(t, a, 4000, topics, 5000, 2000)
	from, to := From(5500), To(6500)
	cases := map[string][][]byte{
		"one topic":       {Topic(3)},
		"three topics":    {Topic(0), Topic(7), Topic(42)},
		"unknown topic":   {Topic(999)},
		"70 topics":       nil,
		"every topic":     nil,
		"no topic at all": {},
	}
	for i := range 70 {
		cases["70 topics"] = append(cases["70 topics"], Topic(i))
	}
	for i := range topics {
		cases["every topic"] = append(cases["every topic"], Topic(i))
	}
	for name, tp := range cases {
		for _, limit := range []int{1, 17, 2000, 5000} {
			want := expect(rows, from, to, tp, limit)
			if len(tp) == 0 && tp != nil {
				want = nil
			}
			same(t, fmt.Sprintf("%s, limit %d", name, limit), read(t, a, from, to, tp, limit), want)
		}
	}
	// Paging one topic from a cursor inside the range.
	tp := [][]byte{Topic(5)}
	all := expect(rows, from, to, tp, 1<<30)
	if len(all) < 10 {
		t.Fatalf("only %d rows of topic 5 in range", len(all))
	}
	cursor := all[4].key[:36] // a mailserver cursor: the key without its topic
	same(t, "from a cursor", read(t, a, cursor, to, tp, 3), all[4:7])
}

func testReadBounds(t *testing.T, o Opener) {
	a := o.Open(t)
	rows := fill(t, a, 200, 2, 100, 50)
	for _, c := range []struct {
		name     string
		from, to []byte
	}{
		{"inverted", From(140), From(120)},
		{"empty", From(120), From(120)},
		{"past the end", From(1000), To(2000)},
		{"one second", From(120), To(120)},
		{"up to 41 bytes of 0xff", From(100), bytes.Repeat([]byte{0xff}, 41)},
	} {
		same(t, c.name, read(t, a, c.from, c.to, nil, 1000), expect(rows, c.from, c.to, nil, 1000))
		same(t, c.name+", one topic", read(t, a, c.from, c.to, [][]byte{Topic(1)}, 1000),
			expect(rows, c.from, c.to, [][]byte{Topic(1)}, 1000))
	}
	if got := read(t, a, From(0), To(1000), nil, 0); len(got) != 0 {
		t.Fatalf("limit 0 returned %d rows", len(got))
	}
}

func testTopics(t *testing.T, o Opener) {
	a := o.Open(t)
	if got, err := a.ArchiveTopics(); err != nil || len(got) != 0 {
		t.Fatalf("empty archive: topics %x, %v", got, err)
	}
	fill(t, a, 100, 7, 100, 50)
	got, err := a.ArchiveTopics()
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, bytes.Compare)
	var want [][]byte
	for i := range 7 {
		want = append(want, Topic(i))
	}
	if !slices.EqualFunc(got, want, bytes.Equal) {
		t.Fatalf("topics %x, want %x", got, want)
	}
}

func testPrune(t *testing.T, o Opener) {
	a := o.Open(t)
	rows := fill(t, a, 500, 3, 1000, 100)
	before := From(1040)
	var gone int64
	for _, r := range rows {
		if bytes.Compare(r.key, before) < 0 {
			gone++
		}
	}
	n, err := a.ArchivePrune(before)
	if err != nil || n != gone {
		t.Fatalf("ArchivePrune = %d, %v; want %d", n, err, gone)
	}
	same(t, "after prune", read(t, a, From(0), To(5000), nil, 1000), rows[gone:])
	same(t, "after prune, one topic", read(t, a, From(0), To(5000), [][]byte{Topic(2)}, 1000),
		expect(rows[gone:], From(0), To(5000), [][]byte{Topic(2)}, 1000))
	if c, _, err := a.ArchiveSize(); err != nil || c != int64(len(rows))-gone {
		t.Fatalf("ArchiveSize after prune = %d, %v; want %d", c, err, int64(len(rows))-gone)
	}
	if n, err := a.ArchivePrune(before); err != nil || n != 0 {
		t.Fatalf("second prune = %d, %v", n, err)
	}
}

func testSize(t *testing.T, o Opener) {
	a := o.Open(t)
	n0, b0, err := a.ArchiveSize()
	if err != nil || n0 != 0 {
		t.Fatalf("empty archive: %d envelopes, %v", n0, err)
	}
	fill(t, a, 3000, 4, 100, 1000)
	n, b, err := a.ArchiveSize()
	if err != nil || n != 3000 || b <= 0 || b < b0 {
		t.Fatalf("ArchiveSize = %d envelopes, %d bytes, %v; want 3000 envelopes, more than %d bytes", n, b, err, b0)
	}
}

// testSharedWriters: two handles on one archive (two servers) store
// overlapping batches at once, in opposite orders; each envelope is stored
// once and both handles read all of it.
func testSharedWriters(t *testing.T, o Opener) {
	if o.OpenAgain == nil {
		t.Skip("this archive is not shared between servers")
	}
	a := o.Open(t)
	b := o.OpenAgain(t, a)
	const n = 2000
	keys := make([][]byte, n)
	raws := make([][]byte, n)
	for i := range n {
		keys[i] = Key(1000+uint32(i%500), i, Topic(i%3))
		raws[i] = fmt.Appendf(nil, "raw %d", i)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w, h := range []Archive{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := 0; start < n; start += 100 {
				// Overlapping batches: each writer stores every envelope,
				// one front to back, the other back to front.
				lo, hi := start, min(start+150, n)
				ks, rs := slices.Clone(keys[lo:hi]), slices.Clone(raws[lo:hi])
				if w == 1 {
					slices.Reverse(ks)
					slices.Reverse(rs)
				}
				if err := h.ArchivePut(ks, rs); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent put: %v", err)
	}
	want := make([]row, n)
	for i := range keys {
		want[i] = row{keys[i], raws[i]}
	}
	slices.SortFunc(want, func(x, y row) int { return bytes.Compare(x.key, y.key) })
	same(t, "read through the first", read(t, a, From(0), To(5000), nil, 2*n), want)
	same(t, "read through the second", read(t, b, From(0), To(5000), nil, 2*n), want)
	same(t, "one topic through the second", read(t, b, From(0), To(5000), [][]byte{Topic(1)}, 2*n),
		expect(want, From(0), To(5000), [][]byte{Topic(1)}, 2*n))
}
