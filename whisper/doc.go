// Package whisper owns hush's embedded Whisper v6 node: a go-ethereum
// v1.9.15 devp2p server running stock whisperv6, the subscriptions that
// turn envelopes into decrypted Received values, posting, and the client
// side of the mailserver protocol (history requests, code-125 completions,
// code-127 direct envelopes).
//
// whisperv6 is the relay: it checks, pools and gossips envelopes. It never
// gets one of our keys, because its plaintext parser crashes on hostile
// input where nobody can recover (guard.go). hush opens envelopes itself
// (open.go, receive.go): gossip and our own posts when whisperv6 admits
// them to its pool, through the one hook whisperv6 has for that (its
// mailserver's Archive, which the node registers and passes on to a real
// mailserver); direct envelopes on the peer's stream, in order with the
// completion that follows them.
//
// Stock whisperv6 ignores code 125 and drops a peer that sends a list in
// code 127, so every peer's message stream passes through an interceptor
// (intercept.go, inbound.go) before whisperv6 reads it: completions are
// taken out; direct envelopes are admitted only from a peer we asked,
// opened and delivered there; envelopes of a gossip batch on our topics
// are opened first, and those whose plaintext is malformed under one of
// our keys are dropped, neither delivered nor relayed. What a peer makes
// us drop is logged in summary (package droplog), and a peer that makes us
// drop too much is disconnected.
//
// What the node writes passes the interceptor too: whisperv6's batch of
// envelopes for a peer is split into messages under the 1 MiB a receiver
// accepts (split.go), and batches are acknowledged the way Status's nodes
// did, with codes 11 and 12 and a fifth handshake item saying so, which
// stock whisperv6 ignores (confirm.go). Acks reports, per peer, which
// envelopes we posted it took (ack.go).
//
// The node never discovers peers and never maps ports: it only talks to the
// static peers it is given and to peers that dial it. When its slots run
// low it disconnects the peer idle the longest (evict.go).
package whisper
