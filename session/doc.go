// Package session is the manager between the UI and the network. It owns the
// joined chats, turns typed text into signed Status messages on the embedded
// Whisper node, turns received envelopes into stored, ordered messages, and
// asks mailservers for what was sent while we were away. It reports
// everything to its one subscriber as typed Event values on a channel.
//
// History sync (history.go, catchup.go, windows.go): every chat keeps a
// synced-to mark, which moves only over a range whose every message is
// stored. A catch-up from the marks runs whenever something may have been
// missed: a mailserver connects (again), the node has peers after it had
// none, or the clock watch sees the process stopped, the machine suspended
// or the clock set. Requests fit the server's range limit, and each is
// bounded in pages and in time.
//
// The session never imports the UI toolkit; the UI depends on a small
// interface that *Manager satisfies.
package session
