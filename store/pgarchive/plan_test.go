package pgarchive

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"hush/store/archivetest"
)

// explain returns PostgreSQL's plan for ArchiveRead's statement.
func explain(t *testing.T, a *Archive, from, to []byte, topics [][]byte, limit int) string {
	t.Helper()
	sql, args := readQuery(from, to, topics, limit)
	rows, err := a.pool.Query(context.Background(), "EXPLAIN "+sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan.String()
}

// TestReadPlansUseIndexes: with statistics of an archive where each
// topic's range holds many more envelopes than a page, each shape of
// ArchiveRead is answered from an index in key order and stops at the page
// limit: no sequential scan, no bitmap scan and no sort, each of which
// would read every matching row of the range before returning the first.
func TestReadPlansUseIndexes(t *testing.T) {
	a := openTest(t, pg.Database(t))
	const n, topics = 60_000, 20
	keys := make([][]byte, 0, 5000)
	raws := make([][]byte, 0, 5000)
	for i := range n {
		keys = append(keys, archivetest.Key(1_000_000+uint32(i), i, archivetest.Topic(i%topics)))
		raws = append(raws, make([]byte, 200))
		if len(keys) == cap(keys) {
			if err := a.ArchivePut(keys, raws); err != nil {
				t.Fatal(err)
			}
			keys, raws = keys[:0], raws[:0]
		}
	}
	if _, err := a.pool.Exec(context.Background(), "ANALYZE archive_envelopes"); err != nil {
		t.Fatal(err)
	}
	from, to := archivetest.From(1_000_000+n/2), archivetest.To(1_000_000+n)
	var some [][]byte
	for i := range 3 {
		some = append(some, archivetest.Topic(i*7))
	}
	for _, c := range []struct {
		name   string
		topics [][]byte
		want   []string
	}{
		{"one topic", some[:1], []string{"archive_envelopes_topic_key"}},
		{"three topics", some, []string{"Merge Append", "archive_envelopes_topic_key"}},
		{"every topic", nil, []string{"archive_envelopes_pkey"}},
	} {
		plan := explain(t, a, from, to, c.topics, 100)
		for _, want := range c.want {
			if !strings.Contains(plan, want) {
				t.Errorf("%s: plan does not use %s:\n%s", c.name, want, plan)
			}
		}
		for _, bad := range []string{"Seq Scan", "Sort  (", "Bitmap"} {
			if strings.Contains(plan, bad) {
				t.Errorf("%s: plan has a %s:\n%s", c.name, strings.TrimSpace(bad), plan)
			}
		}
		if testing.Verbose() {
			fmt.Printf("%s:\n%s\n", c.name, plan)
		}
	}
}
