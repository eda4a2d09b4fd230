package rpcserver

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
)

// adminAPI is the part of geth's admin namespace a thin client needs: peers
// to add (a mailserver) and to count.
type adminAPI struct{ s *Server }

// AddPeer makes url a static peer of the node: dialed now and redialed
// after every drop.
func (a *adminAPI) AddPeer(url string) (bool, error) {
	n, err := enode.Parse(enode.ValidSchemes, url)
	if err != nil {
		return false, fmt.Errorf("add peer: %w", err)
	}
	if n.ID() == a.s.cfg.Node.Enode().ID() {
		return true, nil // ourselves: nothing to dial
	}
	a.s.cfg.Node.AddPeer(n)
	return true, nil
}

// Peers describes the connected peers.
func (a *adminAPI) Peers() ([]*p2p.PeerInfo, error) {
	return a.s.cfg.Node.PeersInfo(), nil
}

// NodeInfo describes the node, with its enode URL.
func (a *adminAPI) NodeInfo() (*p2p.NodeInfo, error) {
	info := a.s.cfg.Node.NodeInfo()
	if info == nil {
		return nil, errors.New("node not started")
	}
	return info, nil
}
