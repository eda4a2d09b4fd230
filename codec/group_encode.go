package codec

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// EncodeMembership writes a g5 record as status-react reads it:
//
//	["~#g5",[chat-id,["~#list",[update…]],c4-or-null]]
//	update = ["^ ","~:chat-id",id,"~:events",[event…],"~:signature",hex]
//	event  = ["^ ","~:type",type,"~:clock-value",n(,"~:name",s)(,"~:member",k)(,"~:members",["~#set",[k…]])]
//
// Nothing is written through the transit cache: every reader accepts the
// uncached form, and the record stays readable in a log. msg, when non-nil,
// is an encoded c4 (EncodeMessage with MessageTypeGroup) placed as it is.
func EncodeMembership(g Membership, msg []byte) ([]byte, error) {
	if g.ChatID == "" || !utf8.ValidString(g.ChatID) {
		return nil, errors.New("encode g5: chat-id is empty or not UTF-8")
	}
	if len(g.Updates) > MaxGroupUpdates {
		return nil, fmt.Errorf("encode g5: %d updates, limit %d", len(g.Updates), MaxGroupUpdates)
	}
	b := make([]byte, 0, 256*(len(g.Updates)+1)+len(msg))
	b = append(b, `["~#g5",[`...)
	b = appendJSString(b, transitString(g.ChatID))
	b = append(b, `,["~#list",[`...)
	for i, u := range g.Updates {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendGroupUpdate(b, u); err != nil {
			return nil, fmt.Errorf("encode g5: update %d: %w", i, err)
		}
	}
	b = append(b, "]],"...)
	if msg == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, msg...)
	}
	return append(b, "]]"...), nil
}

func appendGroupUpdate(b []byte, u GroupUpdate) ([]byte, error) {
	if len(u.Events) == 0 || len(u.Events) > MaxUpdateEvents {
		return nil, fmt.Errorf("%d events, want 1 to %d", len(u.Events), MaxUpdateEvents)
	}
	if err := checkGroupText(u.ChatID, u.Signature); err != nil {
		return nil, err
	}
	b = append(b, `["^ ","~:chat-id",`...)
	b = appendJSString(b, transitString(u.ChatID))
	b = append(b, `,"~:events",[`...)
	for i, e := range u.Events {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendGroupEvent(b, e); err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
	}
	b = append(b, `],"~:signature",`...)
	b = appendJSString(b, transitString(u.Signature))
	return append(b, ']'), nil
}

func appendGroupEvent(b []byte, e GroupEvent) ([]byte, error) {
	if e.Clock < 0 {
		return nil, fmt.Errorf("clock %d is negative", e.Clock)
	}
	if len(e.Members) > MaxEventMembers {
		return nil, fmt.Errorf("%d members, limit %d", len(e.Members), MaxEventMembers)
	}
	if err := checkGroupText(append([]string{e.Type, e.Name, e.Member}, e.Members...)...); err != nil {
		return nil, err
	}
	b = append(b, `["^ ","~:type",`...)
	b = appendJSString(b, transitString(e.Type))
	b = append(b, `,"~:clock-value",`...)
	b = strconv.AppendInt(b, e.Clock, 10)
	if e.Name != "" {
		b = append(b, `,"~:name",`...)
		b = appendJSString(b, transitString(e.Name))
	}
	if e.Member != "" {
		b = append(b, `,"~:member",`...)
		b = appendJSString(b, transitString(e.Member))
	}
	if len(e.Members) > 0 {
		b = append(b, `,"~:members",["~#set",[`...)
		for i, k := range e.Members {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSString(b, transitString(k))
		}
		b = append(b, "]]"...)
	}
	return append(b, ']'), nil
}

func checkGroupText(ss ...string) error {
	for _, s := range ss {
		if len(s) > maxGroupTextBytes {
			return fmt.Errorf("a field is %d bytes, limit %d", len(s), maxGroupTextBytes)
		}
		if !utf8.ValidString(s) {
			return errors.New("a field is not valid UTF-8")
		}
	}
	return nil
}
