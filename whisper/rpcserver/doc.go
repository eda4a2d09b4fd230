// Package rpcserver serves a hush node's Whisper over JSON-RPC, for thin
// clients (hush --node) and scripts (PROTOCOL.md §10). It is go-ethereum's
// own rpc server carrying whisperv6's shh_* API, status-go's
// shhext_requestMessages and geth's admin_addPeer, admin_peers and
// admin_nodeInfo, over a WebSocket and a Unix socket.
//
// shh_subscribe("messages") installs no whisperv6 filter: whisperv6's
// plaintext parser crashes on hostile input (whisper/guard.go), so the
// criteria become subscriptions of the hush node, which opens envelopes
// with its own checks, and a router hands each delivery to the RPC
// subscription it belongs to. For the same reason the polling filters
// (shh_newMessageFilter) are refused.
//
// Who may call: the Unix socket is the owner's alone (mode 0600); the
// WebSocket takes loopback callers only, unless the operator allows remote
// ones, which then must present a token. Anyone who may call controls the
// node and reads what the keys given to it decrypt.
package rpcserver
