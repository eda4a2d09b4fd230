package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// maxCheckProblems bounds how many problems the check at Open lists: a few
// name the damage; thousands would only fill the log.
const maxCheckProblems = 10

// checkPages runs in the background from Open: SQLite's quick_check reads
// every page of the file and verifies the b-trees (without integrity_check's
// comparison of every index against its table, which costs several times as
// much). It takes about 130 ms per 100,000 messages with the file in the
// page cache and about 4 s for 1,000,000 on a busy machine
// (BenchmarkQuickCheck), too long to hold up every start of a large store,
// so Open does not wait for it; Problems does. Close cuts it short.
func (s *Store) checkPages(ctx context.Context, path string) {
	defer close(s.checkDone)
	start := time.Now()
	problems := s.quickCheck(ctx)
	if ctx.Err() != nil {
		s.log.Debug("quick_check cut short by Close", "path", path, "after", time.Since(start))
		return
	}
	for _, p := range problems {
		s.log.Error("database damaged", "path", path, "problem", p)
	}
	s.log.Debug("quick_check done", "path", path, "took", time.Since(start), "problems", len(problems))
	s.problems = problems
}

// quickCheck returns what quick_check reports; nil for a sound database.
func (s *Store) quickCheck(ctx context.Context) []string {
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf("PRAGMA quick_check(%d)", maxCheckProblems))
	if err != nil {
		return []string{fmt.Sprintf("quick_check: %v", err)}
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return append(problems, fmt.Sprintf("quick_check: %v", err))
		}
		// A row can hold several lines, headed by the database's name.
		for l := range strings.Lines(line) {
			l = strings.TrimSpace(l)
			if l != "ok" && l != "" && !strings.HasPrefix(l, "*** in database") && len(problems) < maxCheckProblems {
				problems = append(problems, l)
			}
		}
	}
	if err := rows.Err(); err != nil && len(problems) < maxCheckProblems {
		problems = append(problems, fmt.Sprintf("quick_check: %v", err))
	}
	return problems
}

// Checked is closed when the page check Open started has ended; Problems
// then returns at once.
func (s *Store) Checked() <-chan struct{} { return s.checkDone }

// Problems waits for the page check Open started and lists what it found
// wrong with the database file (at most a few entries); nil when the file is
// sound or the check was cut short by Close. A damaged database still opens,
// so what is readable stays readable, but the caller should tell the user.
func (s *Store) Problems() []string {
	<-s.checkDone
	return s.problems
}
