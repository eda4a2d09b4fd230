// Package mailserver owns hush's side of Whisper offline messaging
// (codes 125/126/127 inside shh/6): the payload formats of history
// requests and completion replies, the archive key layout, and the Server
// behind `hush serve` that archives every envelope the node sees and
// answers history requests from peers.
//
// The codecs (Request, Completion, Key, BloomMatch) are shared with the
// client side in package whisper; the Server plugs into whisperv6 as its
// MailServer and reaches peers through a Sender.
package mailserver
