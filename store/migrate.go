package store

import (
	"database/sql"
	"fmt"
)

// migration moves the schema from version-1 to version. Steps are applied in
// order, each in its own transaction together with the new user_version, so
// a crash leaves the database at a whole version.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists every schema step ever shipped. Append only: a released
// step must never change, since databases in the field already ran it.
func migrations() []migration {
	return []migration{
		{1, "initial schema", schemaV1},
		{2, "ignored senders", schemaV2},
		{3, "encryption secrets and settings", schemaSecrets},
		{4, "private groups", schemaGroups},
		{5, "archive read by topic", schemaArchiveTopics},
		{6, "contact updates and mentions", schemaNames},
		{7, "group changes not yet sent", schemaGroupsUnsent},
		{8, "unread counter, text index per batch", schemaCounters},
	}
}

// schemaV1 notes:
//   - messages refer to chats by an integer key: a one-to-one chat id is a
//     132-character hex key, too large to repeat in every row and index entry.
//   - envelope_hash is NULL until the message is posted, and UNIQUE lets many
//     NULLs coexist.
//   - messages_unread is partial so counting unread stays proportional to the
//     unread messages, not to the history.
//   - messages_fts is an external-content FTS4 table (the text is stored once,
//     in messages), kept in sync by triggers; deletes must run before the row
//     goes because FTS reads the old text to find the terms to remove.
//   - chats.message_count is kept by the same triggers so counting a chat
//     costs nothing.
//   - the archive is WITHOUT ROWID: the envelope rows live in the key's b-tree,
//     ordered bytewise, with no second index.
const schemaV1 = `
CREATE TABLE chats (
	key           INTEGER PRIMARY KEY,
	id            TEXT    NOT NULL UNIQUE,
	kind          INTEGER NOT NULL,
	joined        INTEGER NOT NULL,
	is_new        INTEGER NOT NULL DEFAULT 0,
	last_clock    INTEGER NOT NULL DEFAULT 0,
	synced_to     INTEGER NOT NULL DEFAULT 0,
	created_ms    INTEGER NOT NULL,
	message_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE messages (
	seq           INTEGER PRIMARY KEY,
	id            BLOB    NOT NULL UNIQUE,
	envelope_hash BLOB    UNIQUE,
	chat          INTEGER NOT NULL REFERENCES chats(key),
	sender        BLOB,
	clock         INTEGER NOT NULL,
	sent_ms       INTEGER NOT NULL,
	content_type  TEXT    NOT NULL,
	message_type  TEXT    NOT NULL,
	text          TEXT    NOT NULL,
	payload       BLOB,
	outgoing      INTEGER NOT NULL,
	state         INTEGER NOT NULL,
	read          INTEGER NOT NULL
);
CREATE INDEX messages_by_chat_clock ON messages(chat, clock, id);
CREATE INDEX messages_unread ON messages(chat) WHERE read = 0 AND outgoing = 0;

CREATE VIRTUAL TABLE messages_fts USING fts4(content="messages", text, tokenize=unicode61);

CREATE TRIGGER messages_after_insert AFTER INSERT ON messages BEGIN
	INSERT INTO messages_fts(docid, text) VALUES (new.seq, new.text);
	UPDATE chats SET message_count = message_count + 1 WHERE key = new.chat;
END;
CREATE TRIGGER messages_before_delete BEFORE DELETE ON messages BEGIN
	DELETE FROM messages_fts WHERE docid = old.seq;
	UPDATE chats SET message_count = message_count - 1 WHERE key = old.chat;
END;
CREATE TRIGGER messages_before_text_update BEFORE UPDATE OF text ON messages BEGIN
	DELETE FROM messages_fts WHERE docid = old.seq;
END;
CREATE TRIGGER messages_after_text_update AFTER UPDATE OF text ON messages BEGIN
	INSERT INTO messages_fts(docid, text) VALUES (new.seq, new.text);
END;

CREATE TABLE contacts (
	key          TEXT PRIMARY KEY,
	nickname     TEXT NOT NULL DEFAULT '',
	network_name TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE archive (
	key BLOB PRIMARY KEY,
	raw BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE archive_stats (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	count INTEGER NOT NULL
);
INSERT INTO archive_stats (id, count) VALUES (1, 0);
`

// schemaV2 adds the keys the user ignores. They are kept apart from contacts
// because ignoring a key must not make it a contact (contacts get our name
// updates) and a contact row may be rewritten by what the key says about
// itself.
const schemaV2 = `
CREATE TABLE ignored (
	key        TEXT    PRIMARY KEY,
	created_ms INTEGER NOT NULL
) WITHOUT ROWID;
`

// schemaSecrets adds the end-to-end encryption layer's state (PROTOCOL.md
// §7) and a small table of settings. The layer seals every value before it
// gets here, so a secrets row is (namespace, key, ciphertext); WITHOUT ROWID
// keeps the rows in (ns, key) order in one b-tree, which is what Keys walks.
const schemaSecrets = `
CREATE TABLE secrets (
	ns    TEXT NOT NULL,
	key   TEXT NOT NULL,
	value BLOB NOT NULL,
	PRIMARY KEY (ns, key)
) WITHOUT ROWID;

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
`

// schemaGroups adds private group chats (the chat row has kind 3). The signed
// membership log is the truth: group_updates keeps every update as the
// session encoded it. groups and group_members hold what the last fold of
// that log gave, so listing chats needs no fold; they are rewritten whole
// whenever the log grows.
const schemaGroups = `
CREATE TABLE group_updates (
	chat   INTEGER NOT NULL REFERENCES chats(key),
	id     TEXT    NOT NULL,
	author TEXT    NOT NULL,
	clock  INTEGER NOT NULL,
	data   BLOB    NOT NULL,
	PRIMARY KEY (chat, id)
) WITHOUT ROWID;

CREATE TABLE groups (
	chat    INTEGER PRIMARY KEY REFERENCES chats(key),
	name    TEXT NOT NULL,
	creator TEXT NOT NULL
);

CREATE TABLE group_members (
	chat   INTEGER NOT NULL REFERENCES chats(key),
	pos    INTEGER NOT NULL,
	key    TEXT    NOT NULL,
	admin  INTEGER NOT NULL,
	joined INTEGER NOT NULL,
	PRIMARY KEY (chat, pos)
) WITHOUT ROWID;
`

// schemaArchiveTopics lets `hush serve` answer a request for a few topics
// without walking every envelope of its time range: an index on the topic
// (an archive key's last 4 bytes) then the key, and the set of topics
// stored, against which the server matches a request's bloom.
const schemaArchiveTopics = `
CREATE INDEX archive_topic ON archive (substr(key, -4), key);
CREATE TABLE archive_topics (
	topic BLOB PRIMARY KEY
) WITHOUT ROWID;
INSERT OR IGNORE INTO archive_topics (topic) SELECT DISTINCT substr(key, -4) FROM archive;
`

// schemaNames adds when a contact's name was last updated (contact
// records older than that are discarded, PROTOCOL.md §9.2) and whether a
// chat holds an unread message that mentions us.
const schemaNames = `
ALTER TABLE contacts ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN mentioned INTEGER NOT NULL DEFAULT 0;
`

// schemaGroupsUnsent remembers, per group, the clock of our last membership
// change and of the last one a peer took, so a change made while no peer
// was connected is sent on the next start instead of being lost.
const schemaGroupsUnsent = `
ALTER TABLE groups ADD COLUMN change_clock INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN sent_clock   INTEGER NOT NULL DEFAULT 0;
`

// schemaCounters makes receiving cost the same however much is unread:
//   - the text index leaves the insert trigger: AddMessages indexes each
//     batch with one INSERT … SELECT after its rows (indexText). Row by row
//     through the trigger, FTS4 took half of a received message's store
//     time; per batch a tenth of that. Deletes and edits keep theirs.
//   - chats.unread_count is kept by the triggers, as message_count is:
//     counting the unread rows of the partial index on every chat-list
//     refresh grew with the backlog, so a catch-up of n messages counted
//     n²/batch rows.
const schemaCounters = `
ALTER TABLE chats ADD COLUMN unread_count INTEGER NOT NULL DEFAULT 0;
UPDATE chats SET unread_count =
	(SELECT count(*) FROM messages m WHERE m.chat = chats.key AND m.read = 0 AND m.outgoing = 0);
DROP TRIGGER messages_after_insert;
CREATE TRIGGER messages_after_insert AFTER INSERT ON messages BEGIN
	UPDATE chats SET message_count = message_count + 1,
		unread_count = unread_count + (new.read = 0 AND new.outgoing = 0)
	WHERE key = new.chat;
END;
DROP TRIGGER messages_before_delete;
CREATE TRIGGER messages_before_delete BEFORE DELETE ON messages BEGIN
	DELETE FROM messages_fts WHERE docid = old.seq;
	UPDATE chats SET message_count = message_count - 1,
		unread_count = unread_count - (old.read = 0 AND old.outgoing = 0)
	WHERE key = old.chat;
END;
CREATE TRIGGER messages_after_unread_update AFTER UPDATE OF read, outgoing ON messages
WHEN (old.read = 0 AND old.outgoing = 0) != (new.read = 0 AND new.outgoing = 0) BEGIN
	UPDATE chats SET unread_count = unread_count
		+ (new.read = 0 AND new.outgoing = 0) - (old.read = 0 AND old.outgoing = 0)
	WHERE key = new.chat;
END;
`

// SchemaVersion is the schema version this package writes.
func SchemaVersion() int {
	steps := migrations()
	return steps[len(steps)-1].version
}

func (s *Store) migrate() error {
	latest := SchemaVersion()
	current, err := userVersion(s.db)
	if err != nil {
		return err
	}
	if current > latest {
		return fmt.Errorf("%w: the file is at version %d, this hush knows up to %d; use a newer hush",
			ErrSchemaTooNew, current, latest)
	}
	for _, step := range migrations() {
		if step.version <= current {
			continue
		}
		err := s.write(fmt.Sprintf("migrate to version %d (%s)", step.version, step.name), func(tx *sql.Tx) error {
			// Another process may have migrated since we looked; the
			// immediate transaction holds the write lock, so this read
			// is authoritative.
			v, err := userVersion(tx)
			if err != nil {
				return err
			}
			if v >= step.version {
				return nil
			}
			if v != step.version-1 {
				return fmt.Errorf("schema is at version %d, expected %d", v, step.version-1)
			}
			if _, err := tx.Exec(step.sql); err != nil {
				return err
			}
			// PRAGMA takes no bound parameters; the version is our own int.
			_, err = tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", step.version))
			return err
		})
		if err != nil {
			return err
		}
		s.log.Info("store schema migrated", "version", step.version, "step", step.name)
		current = step.version
	}
	return nil
}

type queryRower interface {
	QueryRow(query string, args ...any) *sql.Row
}

func userVersion(q queryRower) (int, error) {
	var v int
	if err := q.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
