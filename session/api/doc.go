// Package api is hush's scripting API (PROTOCOL.md §10): a JSON-RPC
// "hush" namespace on a Unix socket, served by go-ethereum's rpc package
// over a running session, for scripts and bots (hush --api, hush serve
// --api). It has hush_join, hush_leave, hush_chats, hush_send,
// hush_messages, hush_whoami and hush_subscribe("messages").
//
// The socket is its owner's alone (mode 0600): whoever can connect can
// read and send as you. Subscribers read the session's events through a
// session.Fanout with a bounded buffer each, so a slow script loses
// notifications (and is told how many) rather than stall the session.
package api
