package whisper

import (
	"fmt"
	"io"
	"time"

	"hush/whisper/mailformat"

	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rlp"
)

// shh/6 message codes hush handles itself (whisperv6 keeps its own copies
// unexported).
const (
	codeMessages   = 1
	codeCompletion = 125 // mailserver → client: request done (status-go)
	codeRequest    = 126 // client → mailserver: history request
	codeDirect     = 127 // mailserver → client: archived envelope(s)
)

// interceptor is the message stream whisperv6 reads from one peer. It
// filters what comes in; writes go to the peer unchanged.
type interceptor struct {
	node *Node
	link *link
	rw   p2p.MsgReadWriter
	in   inbound // receive-side state for this peer (inbound.go)

	handshaken bool     // the peer's handshake was read (confirm.go)
	receipt    *receipt // code-1 batch whisperv6 is taking, to acknowledge
}

// WriteMsg adds our confirmations flag to the handshake and splits
// envelope batches to fit the peer's limit (confirm.go, split.go).
func (ic *interceptor) WriteMsg(msg p2p.Msg) error {
	switch msg.Code {
	case codeStatus:
		return ic.writeStatus(msg)
	case codeMessages:
		return ic.writeMessages(msg)
	}
	return ic.rw.WriteMsg(msg)
}

// ReadMsg runs on whisperv6's peer goroutine.
func (ic *interceptor) ReadMsg() (p2p.Msg, error) {
	ic.confirmBatch()
	for {
		msg, err := ic.rw.ReadMsg()
		if err != nil {
			ic.in.drops.Flush() // the peer is gone
			return msg, err
		}
		if msg.Code == codeRequest {
			ic.link.touch(time.Now())
		}
		switch msg.Code {
		case codeStatus:
			return ic.readStatus(msg)
		case codeBatchAck, codeMessagesResponse:
			if err := ic.readAck(msg); err != nil {
				return p2p.Msg{}, err
			}
		case codeCompletion:
			if err := ic.readCompletion(msg); err != nil {
				return p2p.Msg{}, err
			}
		case codeDirect:
			if err := ic.readDirect(msg); err != nil {
				return p2p.Msg{}, err
			}
		case codeMessages:
			if msg, err = ic.noteBatch(msg); err != nil {
				return p2p.Msg{}, err
			}
			return ic.screenMessages(msg)
		default:
			return msg, nil
		}
	}
}

// readPayload reads a whole message body, refusing what whisperv6 would
// refuse for size (the peer is then dropped, as whisperv6 does).
func (ic *interceptor) readPayload(msg p2p.Msg) ([]byte, error) {
	if msg.Size > ic.node.shh.MaxMessageSize() {
		return nil, fmt.Errorf("oversized message (code %d, %d bytes) from peer %s", msg.Code, msg.Size, ic.link.id.TerminalString())
	}
	body, err := io.ReadAll(io.LimitReader(msg.Payload, int64(msg.Size)))
	if err != nil {
		return nil, fmt.Errorf("read message (code %d) from peer %s: %w", msg.Code, ic.link.id.TerminalString(), err)
	}
	return body, nil
}

// readCompletion takes a code-125 reply (an RLP byte string) to the
// request in flight. Malformed or unexpected replies are dropped.
func (ic *interceptor) readCompletion(msg p2p.Msg) error {
	body, err := ic.readPayload(msg)
	if err != nil {
		return err
	}
	var raw []byte
	if err := rlp.DecodeBytes(body, &raw); err != nil {
		return ic.drop("malformed mailserver completion", "err", err)
	}
	c, err := mailformat.DecodeCompletion(raw)
	if err != nil {
		return ic.drop("malformed mailserver completion", "err", err)
	}
	if !ic.directsDelivered() {
		return errNotRunning
	}
	if !ic.link.deliverCompletion(c) {
		return ic.drop("mailserver completion for no request in flight", "request", fmt.Sprintf("%x", c.RequestID))
	}
	return nil
}
