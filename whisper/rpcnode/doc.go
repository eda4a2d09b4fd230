// Package rpcnode is the transport of hush --node: the session's node
// interface over a separate Whisper node's JSON-RPC API (WebSocket or IPC),
// geth v1.9.15's shh_* or hush serve's (PROTOCOL.md §10). Everything above
// Whisper still runs in hush; the node only carries envelopes.
//
// The identity key goes to the node with shh_addPrivateKey, so the node
// can sign for it and open one-to-one messages: whoever runs the node can
// read them. Chat keys go with shh_addSymKey, the history key with
// shh_generateSymKeyFromPassword; messages arrive through
// shh_subscribe("messages") and leave through shh_post. History comes
// from shhext_requestMessagesSync when the node has it (hush serve,
// status-go); stock geth has no RPC for it, and RequestHistory says so.
//
// The connection is watched: when it drops, the peer count goes to zero
// (the session keeps its outbox pending), a notice says so, and the node
// is dialled again with a growing back-off; on reconnection the keys are
// registered and the subscriptions made again, under a new connection
// number, so the session catches up on what it missed.
package rpcnode
