package store

import (
	"context"
	"os"
	"testing"
)

// BenchmarkQuickCheck measures the page check Open runs, on the big store
// (1,000,000 messages; -short: 100,000), with the file in the OS page cache
// as it is on a restart. The file's size is reported as file-MB.
func BenchmarkQuickCheck(b *testing.B) {
	total := bigMessages
	if testing.Short() {
		total = bigMessages / 10
	}
	path, _ := bigStore(b, total)
	s, err := Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if p := s.quickCheck(context.Background()); p != nil {
			b.Fatalf("the big store has problems: %v", p)
		}
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "file-MB")
}
