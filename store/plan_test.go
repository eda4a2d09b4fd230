package store

import (
	"strings"
	"testing"
)

// queryPlan returns the EXPLAIN QUERY PLAN detail lines of query.
func queryPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.db.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

func TestReadPathsUseIndexes(t *testing.T) {
	s, _ := openTest(t)
	var id [32]byte
	cases := []struct {
		name  string
		query string
		args  []any
		want  string
	}{
		{"Latest", latestQuery, []any{"c", 50}, "USING INDEX messages_by_chat_clock (chat=?)"},
		{"Before", beforeQuery, []any{"c", 1, id[:], 50}, "USING INDEX messages_by_chat_clock (chat=? AND (clock,id)<(?,?))"},
		{"After", afterQuery, []any{"c", 1, id[:], 50}, "USING INDEX messages_by_chat_clock (chat=? AND (clock,id)>(?,?))"},
		{"Oldest", oldestQuery, []any{"c"}, "USING INDEX messages_by_chat_clock (chat=?)"},
		{"UnreadCounts", unreadQuery, nil, "SCAN chats"},
		{"MarkRead", markReadQuery, []any{"c"}, "USING COVERING INDEX messages_unread (chat=?)"},
		{"Search", searchQuery + ` AND c.id = ? ORDER BY m.clock DESC LIMIT 5`, []any{"x", "c"}, "SEARCH m USING INTEGER PRIMARY KEY"},
	}
	for _, c := range cases {
		plan := queryPlan(t, s, c.query, c.args...)
		if !strings.Contains(plan, c.want) {
			t.Errorf("%s plan lacks %q:\n%s", c.name, c.want, plan)
		}
		// No walk over all messages (MarkRead walks the small partial
		// index of unread ones), and paging must not sort.
		for _, line := range strings.Split(plan, "\n") {
			scansMessages := line == "SCAN m" || strings.HasPrefix(line, "SCAN m ") ||
				strings.HasPrefix(line, "SCAN messages")
			if scansMessages && !strings.Contains(line, "INDEX messages_unread") {
				t.Errorf("%s walks the whole messages table: %q", c.name, line)
			}
		}
		if c.name != "Search" && strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s sorts instead of walking the index:\n%s", c.name, plan)
		}
	}
}
