// Package whisper owns hush's embedded Whisper v6 node: a go-ethereum
// v1.9.15 devp2p server running stock whisperv6, the filters that turn
// envelopes into decrypted Received values, posting, and the client side of
// the mailserver protocol (history requests, code-125 completions, code-127
// direct envelopes).
//
// Stock whisperv6 ignores code 125 and drops a peer that sends a list in
// code 127, so every peer's message stream passes through an interceptor
// (intercept.go) before whisperv6 reads it: completions are taken out,
// direct envelopes are admitted only from a peer we asked and split one per
// message, and envelopes on our topics whose plaintext would crash
// whisperv6's parser are dropped (guard.go).
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
