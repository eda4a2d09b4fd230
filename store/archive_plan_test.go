package store

import (
	"strings"
	"testing"
)

// TestArchiveReadPlanUsesTopicIndex: SQLite answers a read of one topic's
// time range through the (topic, key) index, in key order, not by walking
// every key of the range (PROTOCOL.md §11).
func TestArchiveReadPlanUsesTopicIndex(t *testing.T) {
	s, _ := openTest(t)
	rows, err := s.db.Query(`EXPLAIN QUERY PLAN SELECT key, raw FROM archive
		WHERE substr(key, -4) = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?`,
		[]byte{1, 2, 3, 4}, []byte{0, 0, 0, 1}, []byte{0, 0, 0, 9}, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if p := plan.String(); !strings.Contains(p, "USING INDEX archive_topic (<expr>=? AND key>? AND key<?)") ||
		strings.Contains(p, "TEMP B-TREE") {
		t.Fatalf("plan:\n%s", p)
	}
}
