package whisper

// Notice is news about the transport for the user beyond peer counts: the
// remote node of hush --node went away, or is back (whisper/rpcnode).
type Notice struct {
	Text string
	Err  bool // shown in red
}
