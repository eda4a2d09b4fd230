// Package mailformat owns the wire formats of Whisper offline messaging
// that both ends share (PROTOCOL.md §4): the payload of a history request
// (status-go's RLP list or geth's binary layout), the paging cursor, the
// code-125 completion reply, and the wording of the "time range too long"
// refusal that clients read back to narrow their window.
//
// It holds codecs only, no state and no networking, so that the client
// (package whisper and the session above it) depends on these formats and
// not on the server behind `hush serve` (package mailserver), which imports
// them too.
package mailformat
