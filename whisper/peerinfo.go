package whisper

import "github.com/ethereum/go-ethereum/p2p/enode"

// Conn identifies one connection of a peer. Two values are equal only when
// they name the same connection, so a caller that keeps the last one it saw
// can tell a reconnection from a peer that stayed connected, even when the
// peer count went down and up again between two looks.
type Conn struct {
	l      *link
	remote uint64 // a connection a remote transport numbered (RemoteConn)
}

// RemoteConn is connection number gen of a transport that reaches peers
// through another node (hush --node): it numbers its connections itself,
// and a new number means a new connection.
func RemoteConn(gen uint64) Conn { return Conn{remote: gen} }

// Connection returns the current connection of peer id, and false when it
// is not connected.
func (n *Node) Connection(id enode.ID) (Conn, bool) {
	l := n.link(id)
	if l == nil {
		return Conn{}, false
	}
	return Conn{l: l}, true
}
