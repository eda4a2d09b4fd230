// Package store owns hush's persistent state in one SQLite database: the
// chats the user has joined, their messages (with a full-text index over the
// text), contacts, per-chat mailserver sync marks, and, for `hush serve`, the
// mailserver's envelope archive.
//
// The database runs in WAL mode so readers never wait for the writer. Every
// write goes through one in-process lock and an immediate transaction, so
// writers from several goroutines queue instead of failing with SQLITE_BUSY.
// Schema changes are numbered migrations recorded in PRAGMA user_version; a
// database written by a newer hush is refused rather than misread.
//
// Every read path is served by an index: message pages are keyed by
// (chat, clock, id), unread counts by a partial index over unread incoming
// messages, and per-chat and archive counts are kept as counters, so a
// database with millions of rows opens and pages in milliseconds.
//
// The package imports no other hush package.
package store
