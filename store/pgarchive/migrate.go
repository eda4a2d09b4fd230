package pgarchive

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migration moves the schema from version-1 to version.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists every schema step ever shipped. Append only: a shipped
// step must never change, since databases in the field already ran it.
func migrations() []migration {
	return []migration{
		{1, "envelopes and topics", schemaV1},
	}
}

// schemaV1 notes (PROTOCOL.md §11):
//   - key is the mailserver key, BE32(sent) ‖ hash ‖ topic. bytea compares
//     bytewise, so key order is send-time order, then hash: the order pages
//     are served in. The hash fixes the rest of the key, so the primary key
//     deduplicates by envelope hash.
//   - (topic, key) answers "these topics, this time range, after this
//     cursor" as one index range per topic, read in key order and cut at the
//     page limit; with the primary key for requests that select everything.
//   - archive_topics is the set of topics stored, against which a request's
//     bloom is matched. It is small (a topic per chat) and never pruned.
const schemaV1 = `
CREATE TABLE archive_envelopes (
	key   bytea PRIMARY KEY,
	topic bytea NOT NULL,
	raw   bytea NOT NULL
);
CREATE INDEX archive_envelopes_topic_key ON archive_envelopes (topic, key);
CREATE TABLE archive_topics (
	topic bytea PRIMARY KEY
);
`

// migrateLock is the advisory lock id that serialises migrations among
// servers starting at once on one database ("hush" in ASCII).
const migrateLock = 0x68757368

// migrate applies the steps the database has not run, all in one
// transaction under an advisory lock: a second server starting at the same
// moment waits, then finds the schema current.
func (a *Archive) migrate(ctx context.Context) error {
	steps := migrations()
	latest := steps[len(steps)-1].version
	return pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
			return fmt.Errorf("migrate archive: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS archive_schema (version integer NOT NULL)`); err != nil {
			return fmt.Errorf("migrate archive: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM archive_schema`).Scan(&current); err != nil {
			return fmt.Errorf("migrate archive: read version: %w", err)
		}
		if current > latest {
			return fmt.Errorf("archive database is at schema version %d, this hush knows up to %d; use a newer hush",
				current, latest)
		}
		for _, step := range steps {
			if step.version <= current {
				continue
			}
			if _, err := tx.Exec(ctx, step.sql); err != nil {
				return fmt.Errorf("migrate archive to version %d (%s): %w", step.version, step.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO archive_schema (version) VALUES ($1)`, step.version); err != nil {
				return fmt.Errorf("migrate archive to version %d: %w", step.version, err)
			}
			a.log.Info("archive schema migrated", "version", step.version, "step", step.name)
		}
		return nil
	})
}
