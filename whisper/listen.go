package whisper

import (
	"context"
	"errors"
	"net"
	"strconv"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/p2p/enode"
	"github.com/ethereum/go-ethereum/p2p/enr"
)

// The node accepts and dials its devp2p connections itself, so that each
// one is a coalescedConn (coalesce.go); p2p.Server only runs the handshake
// and the peers (SetupConn), as for redials.

// inboundConn is p2p's flag for an accepted connection (its MaxPeers and
// inbound share apply to it).
const inboundConn = 1 << 2

// maxPendingAccepts bounds the handshakes in progress, as p2p's own
// listener does.
const maxPendingAccepts = 50

// listen opens the devp2p listener on addr; srv must then announce its port
// (announcePort) and accept (acceptLoop).
func listen(addr string) (net.Listener, error) {
	return net.Listen("tcp", addr)
}

// announcePort puts the listener's TCP port into the node record, which
// p2p.Server does only for listeners it opens itself.
func announcePort(srv *p2p.Server, l net.Listener) {
	if tcp, ok := l.Addr().(*net.TCPAddr); ok {
		srv.LocalNode().Set(enr.TCP(tcp.Port))
	}
}

// acceptLoop hands accepted connections to srv until l is closed.
func (n *Node) acceptLoop(l net.Listener) {
	defer n.wg.Done()
	slots := make(chan struct{}, maxPendingAccepts)
	for {
		conn, err := l.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed by Stop
		}
		select {
		case slots <- struct{}{}:
		case <-n.quit:
			conn.Close()
			return
		}
		go func() {
			defer func() { <-slots }()
			if err := n.srv.SetupConn(coalesce(conn), inboundConn, nil); err != nil {
				n.log.Debug("inbound connection rejected", "addr", conn.RemoteAddr(), "err", err)
			}
		}()
	}
}

// dialer dials static peers for p2p.Server, coalescing their connections.
type dialer struct{ d net.Dialer }

func (d dialer) Dial(ctx context.Context, node *enode.Node) (net.Conn, error) {
	addr := net.JoinHostPort(node.IP().String(), strconv.Itoa(node.TCP()))
	conn, err := d.d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return coalesce(conn), nil
}

// dialer is the p2p.Server's dialer: nil (p2p's own) on the stock transport.
func (n *Node) dialer() p2p.NodeDialer {
	if n.cfg.StockTransport {
		return nil
	}
	return dialer{d: net.Dialer{Timeout: redialTimeout}}
}

// stockListenAddr is the address p2p.Server listens on itself: only on the
// stock transport.
func (n *Node) stockListenAddr() string {
	if n.cfg.StockTransport {
		return n.cfg.ListenAddr
	}
	return ""
}

// wrap is how the node's own dials (redial.go) see their connections.
func (n *Node) wrap(c net.Conn) net.Conn {
	if n.cfg.StockTransport {
		return c
	}
	return coalesce(c)
}
