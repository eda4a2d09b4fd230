package store

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

// archiveKey mimics the caller's layout: BE32(sent) ‖ hash ‖ topic.
func archiveKey(sent uint32, n int) []byte {
	k := binary.BigEndian.AppendUint32(nil, sent)
	h := hashOf("env", n)
	k = append(k, h[:]...)
	return append(k, 0xcd, 0x42, 0x37, 0x60)
}

func scanAll(t *testing.T, s *Store, from, to []byte) (keys, raws [][]byte) {
	t.Helper()
	err := s.ArchiveScan(from, to, func(k, r []byte) bool {
		keys = append(keys, k)
		raws = append(raws, r)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, raws
}

func TestArchivePutScanOrder(t *testing.T) {
	s, _ := openTest(t)
	// More than two pages, inserted out of order, with shared prefixes.
	const n = 2*archivePage + 137
	var keys, raws [][]byte
	for i := range n {
		keys = append(keys, archiveKey(uint32(1000+(i*7919)%300), i))
		raws = append(raws, []byte{byte(i), byte(i >> 8)})
	}
	if err := s.ArchivePut(keys, raws); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.ArchiveCount(); c != n {
		t.Fatalf("ArchiveCount = %d, want %d", c, n)
	}

	gotKeys, gotRaws := scanAll(t, s, nil, nil)
	if len(gotKeys) != n {
		t.Fatalf("scan returned %d rows, want %d", len(gotKeys), n)
	}
	if !slices.IsSortedFunc(gotKeys, bytes.Compare) {
		t.Fatal("scan is not in ascending key order")
	}
	rawOf := make(map[string][]byte)
	for i, k := range keys {
		rawOf[string(k)] = raws[i]
	}
	for i, k := range gotKeys {
		if !bytes.Equal(gotRaws[i], rawOf[string(k)]) {
			t.Fatalf("key %x came back with the wrong value", k[:6])
		}
	}

	// Bounds: from is inclusive, to exclusive.
	sorted := slices.Clone(keys)
	slices.SortFunc(sorted, bytes.Compare)
	lo, hi := sorted[100], sorted[900]
	window, _ := scanAll(t, s, lo, hi)
	if len(window) != 800 || !bytes.Equal(window[0], lo) || !bytes.Equal(window[len(window)-1], sorted[899]) {
		t.Fatalf("scan [%x, %x) returned %d rows", lo[:6], hi[:6], len(window))
	}
	// Time-prefix bounds as the mailserver uses them.
	from := binary.BigEndian.AppendUint32(nil, 1100)
	to := binary.BigEndian.AppendUint32(nil, 1200)
	ranged, _ := scanAll(t, s, from, to)
	wantRanged := 0
	for _, k := range keys {
		if sent := binary.BigEndian.Uint32(k); sent >= 1100 && sent < 1200 {
			wantRanged++
		}
	}
	if len(ranged) != wantRanged || wantRanged == 0 {
		t.Fatalf("time-range scan returned %d rows, want %d", len(ranged), wantRanged)
	}
	if empty, _ := scanAll(t, s, hi, lo); len(empty) != 0 {
		t.Fatalf("inverted range returned %d rows", len(empty))
	}
	if empty, _ := scanAll(t, s, nil, []byte{}); len(empty) != 0 {
		t.Fatalf("scan below the empty key returned %d rows", len(empty))
	}
}

func TestArchiveScanStopsEarly(t *testing.T) {
	s, _ := openTest(t)
	var keys, raws [][]byte
	for i := range archivePage + 10 {
		keys = append(keys, archiveKey(uint32(i), i))
		raws = append(raws, []byte("v"))
	}
	if err := s.ArchivePut(keys, raws); err != nil {
		t.Fatal(err)
	}
	calls := 0
	err := s.ArchiveScan(nil, nil, func(k, r []byte) bool {
		calls++
		// The callback may use the store while a scan is under way.
		if _, err := s.ArchiveCount(); err != nil {
			t.Error(err)
		}
		return calls < 3
	})
	if err != nil || calls != 3 {
		t.Fatalf("scan made %d calls (err %v), want 3", calls, err)
	}
}

func TestArchiveDuplicatesAndPrune(t *testing.T) {
	s, _ := openTest(t)
	k1, k2, k3 := archiveKey(10, 1), archiveKey(20, 2), archiveKey(30, 3)
	if err := s.ArchivePut([][]byte{k2, k1}, [][]byte{[]byte("two"), []byte("one")}); err != nil {
		t.Fatal(err)
	}
	// A repeated key keeps its first value and is not counted twice.
	if err := s.ArchivePut([][]byte{k1, k3, k3}, [][]byte{[]byte("uno"), []byte("three"), []byte("tres")}); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.ArchiveCount(); c != 3 {
		t.Fatalf("ArchiveCount = %d, want 3", c)
	}
	_, raws := scanAll(t, s, nil, nil)
	if got := []string{string(raws[0]), string(raws[1]), string(raws[2])}; !slices.Equal(got, []string{"one", "two", "three"}) {
		t.Fatalf("values = %q", got)
	}

	n, err := s.ArchivePrune(binary.BigEndian.AppendUint32(nil, 30))
	if err != nil || n != 2 {
		t.Fatalf("ArchivePrune = %d, %v; want 2", n, err)
	}
	if c, _ := s.ArchiveCount(); c != 1 {
		t.Fatalf("ArchiveCount after prune = %d, want 1", c)
	}
	keys, _ := scanAll(t, s, nil, nil)
	if len(keys) != 1 || !bytes.Equal(keys[0], k3) {
		t.Fatalf("after prune: %d keys", len(keys))
	}
	if n, err := s.ArchivePrune(nil); err != nil || n != 0 {
		t.Fatalf("ArchivePrune(nil) = %d, %v", n, err)
	}
}

func TestArchivePutValidates(t *testing.T) {
	s, _ := openTest(t)
	if err := s.ArchivePut([][]byte{{1}}, nil); err == nil {
		t.Error("mismatched lengths accepted")
	}
	if err := s.ArchivePut([][]byte{{1}, {}}, [][]byte{{1}, {2}}); err == nil {
		t.Error("empty key accepted")
	}
	if c, _ := s.ArchiveCount(); c != 0 {
		t.Errorf("a refused batch stored %d rows", c)
	}
	if err := s.ArchivePut([][]byte{{1}}, [][]byte{nil}); err != nil {
		t.Errorf("nil value: %v", err)
	}
	_, raws := scanAll(t, s, nil, nil)
	if len(raws) != 1 || len(raws[0]) != 0 {
		t.Errorf("nil value read back as %v", raws)
	}
}
