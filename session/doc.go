// Package session is the manager between the UI and the network. It owns the
// joined chats, turns typed text into signed Status messages on the embedded
// Whisper node, turns received envelopes into stored, ordered messages, and
// asks mailservers for what was sent while we were away. It reports
// everything to its one subscriber as typed Event values on a channel.
//
// The session never imports the UI toolkit; the UI depends on a small
// interface that *Manager satisfies.
package session
