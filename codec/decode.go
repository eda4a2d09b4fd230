package codec

import (
	"errors"
	"fmt"
	"math"
	"math/big"
)

// errPanic marks an error made from a recovered panic: a bug in this package,
// never an expected outcome for any input. The fuzz test looks for it.
var errPanic = errors.New("internal error")

// Decode parses one transit payload into a Record: *Message for c4 and c7,
// *ContactInfo for c2/c3/c6, *Seen for c5, *Membership for g5 and *Unknown for
// any other tag.
// Bad transit, wrong arity, wrong field types and missing fields are errors
// that say what was wrong. Decode does not apply SR's spec check; call
// Validate on a *Message before accepting it.
func Decode(payload []byte) (rec Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("decode: %w: %v", errPanic, p)
		}
	}()
	v, err := readTransit(payload)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return recordFrom(v)
}

func recordFrom(v any) (Record, error) {
	t, ok := v.(tagged)
	if !ok {
		return nil, fmt.Errorf("decode: payload is a %s, want a tagged record", typeName(v))
	}
	var (
		rec Record
		err error
	)
	switch t.tag {
	case TagMessage, TagMessageV7:
		rec, err = messageFrom(t.rep)
	case TagContactRequest, TagContactConfirm, TagContactUpdate:
		rec, err = contactFrom(t.tag, t.rep)
	case TagSeen:
		rec, err = seenFrom(t.rep)
	case TagMembership:
		rec, err = membershipFrom(t.rep)
	default:
		rec = &Unknown{TagName: t.tag}
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", t.tag, err)
	}
	return rec, nil
}

// messageFrom applies SR's c4 reader: [content content-type message-type
// clock timestamp content-map?], where the content is the map at index 5 when
// present and otherwise whatever sits at index 0 (stickers and commands put
// their content map there).
func messageFrom(rep any) (*Message, error) {
	fields, ok := rep.([]any)
	if !ok {
		return nil, fmt.Errorf("record is a %s, want an array", typeName(rep))
	}
	if len(fields) != 5 && len(fields) != 6 {
		return nil, fmt.Errorf("record has %d fields, want 5 or 6", len(fields))
	}
	contentType, ok := fields[1].(string)
	if !ok {
		return nil, fmt.Errorf("content-type is a %s, want a string", typeName(fields[1]))
	}
	messageType, ok := fields[2].(keyword)
	if !ok {
		return nil, fmt.Errorf("message-type is a %s, want a keyword", typeName(fields[2]))
	}
	if fields[3] == nil {
		return nil, errors.New("clock is missing")
	}
	clock, err := nonNegativeInt(fields[3])
	if err != nil {
		return nil, fmt.Errorf("clock: %w", err)
	}
	var timestamp int64
	if fields[4] != nil {
		if timestamp, err = nonNegativeInt(fields[4]); err != nil {
			return nil, fmt.Errorf("timestamp: %w", err)
		}
	}
	content := fields[0]
	if len(fields) == 6 && fields[5] != nil && fields[5] != false {
		content = fields[5]
	}

	m := &Message{
		ContentType: contentType,
		MessageType: string(messageType),
		Clock:       clock,
		Timestamp:   timestamp,
	}
	switch contentType {
	case ContentTypeText:
		err = m.readTextContent(content)
	case ContentTypeSticker:
		err = m.readStickerContent(content)
	case ContentTypeCommand, contentTypeCommandRequest:
		m.ContentType = ContentTypeCommand
		err = m.readCommandContent(content)
	default:
		// Validate rejects other content types; read what is there so the
		// caller can log something useful.
		err = m.readOtherContent(content)
	}
	if err != nil {
		return nil, err
	}
	if len(m.Text) > MaxTextBytes {
		return nil, fmt.Errorf("text is %d bytes, limit %d", len(m.Text), MaxTextBytes)
	}
	return m, nil
}

// readTextContent takes a map with a string :text, or a bare string (SR's
// {:text (str content)} for legacy records). SR would also stringify a map
// whose :text is not a string; that only ever displays garbage, so it is an
// error here.
func (m *Message) readTextContent(content any) error {
	switch c := content.(type) {
	case transitMap:
		v, _ := c.get("text")
		text, ok := v.(string)
		if !ok {
			return fmt.Errorf("text content :text is a %s, want a string", typeName(v))
		}
		m.Text = text
		return m.readChatID(c)
	case string:
		m.Text = c
		return nil
	case nil:
		// (str nil) is "": blank, so Validate drops it.
		return nil
	default:
		return fmt.Errorf("text content is a %s, want a string or a map", typeName(content))
	}
}

func (m *Message) readStickerContent(content any) error {
	c, ok := content.(transitMap)
	if !ok {
		return fmt.Errorf("sticker content is a %s, want a map", typeName(content))
	}
	var err error
	if m.StickerURI, err = optionalString(c, "uri"); err != nil {
		return err
	}
	if m.Text, err = optionalString(c, "text"); err != nil {
		return err
	}
	return m.readChatID(c)
}

// readCommandContent takes :command-path, or derives it from the legacy
// :command-ref of SR 0.9.25 and older. :params must be a map: Message has no
// field for it, so a missing :params (which fails SR's spec check) is caught
// here rather than in Validate.
func (m *Message) readCommandContent(content any) error {
	c, ok := content.(transitMap)
	if !ok {
		return fmt.Errorf("command content is a %s, want a map", typeName(content))
	}
	if path, ok := c.get("command-path"); ok && path != nil {
		elems, ok := path.([]any)
		if !ok || len(elems) == 0 {
			return fmt.Errorf("command content :command-path is a %s, want [name scope]", typeName(path))
		}
		name, ok := elems[0].(string)
		if !ok {
			return fmt.Errorf("command content :command-path name is a %s, want a string", typeName(elems[0]))
		}
		m.CommandPath = name
	} else if ref, ok := c.get("command-ref"); ok {
		m.CommandPath = legacyCommandName(ref)
	}
	if params, _ := c.get("params"); params != nil {
		if _, ok := params.(transitMap); !ok {
			return fmt.Errorf("command content :params is a %s, want a map", typeName(params))
		}
	} else {
		return errors.New("command content has no :params")
	}
	return m.readChatID(c)
}

// legacyCommandName maps SR's old ["transactor" :command 83 "send"] (or
// "request") to the command name; anything else gives "".
func legacyCommandName(ref any) string {
	elems, ok := ref.([]any)
	if !ok || len(elems) != 4 {
		return ""
	}
	if elems[0] != "transactor" || elems[1] != keyword("command") || elems[2] != int64(83) {
		return ""
	}
	if name, _ := elems[3].(string); name == "send" || name == "request" {
		return name
	}
	return ""
}

func (m *Message) readOtherContent(content any) error {
	switch c := content.(type) {
	case transitMap:
		var err error
		if m.Text, err = optionalString(c, "text"); err != nil {
			return err
		}
		return m.readChatID(c)
	case string:
		m.Text = c
	}
	return nil
}

func (m *Message) readChatID(c transitMap) error {
	var err error
	m.ChatID, err = optionalString(c, "chat-id")
	return err
}

// optionalString returns the string under keyword key, "" when absent or nil.
func optionalString(c transitMap, key string) (string, error) {
	v, ok := c.get(key)
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("content :%s is a %s, want a string", key, typeName(v))
	}
	return s, nil
}

// maxExactFloat is the largest integer a JavaScript number (and so SR) holds
// exactly.
const maxExactFloat = 1 << 53

// nonNegativeInt accepts the integer forms a transit reader can produce:
// int64, *big.Int ("~n") and integral floats (JavaScript has only doubles).
func nonNegativeInt(v any) (int64, error) {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case *big.Int:
		if !x.IsInt64() {
			return 0, errors.New("integer out of range")
		}
		n = x.Int64()
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > maxExactFloat {
			return 0, fmt.Errorf("%v is not an integer", x)
		}
		n = int64(x)
	default:
		return 0, fmt.Errorf("is a %s, want an integer", typeName(v))
	}
	if n < 0 {
		return 0, fmt.Errorf("%d is negative", n)
	}
	return n, nil
}

func contactFrom(kind string, rep any) (*ContactInfo, error) {
	fields, ok := rep.([]any)
	if !ok {
		return nil, fmt.Errorf("record is a %s, want an array", typeName(rep))
	}
	// SR wrote [name profile-image address fcm-token] until 2019 and added
	// device-info then; older clients may have stopped after the address.
	if len(fields) < 3 || len(fields) > 5 {
		return nil, fmt.Errorf("record has %d fields, want 3 to 5", len(fields))
	}
	var texts [3]string
	for i, label := range []string{"name", "profile-image", "address"} {
		switch f := fields[i].(type) {
		case nil:
		case string:
			texts[i] = f
		default:
			return nil, fmt.Errorf("%s is a %s, want a string", label, typeName(f))
		}
	}
	return &ContactInfo{Kind: kind, Name: CleanName(texts[0]), ProfileImage: texts[1], Address: texts[2]}, nil
}

// seenFrom reads a c5 record: message ids as an array (or a set or list).
func seenFrom(rep any) (*Seen, error) {
	if t, ok := rep.(tagged); ok && (t.tag == "set" || t.tag == "list") {
		rep = t.rep
	}
	elems, ok := rep.([]any)
	if !ok {
		return nil, fmt.Errorf("record is a %s, want an array of ids", typeName(rep))
	}
	ids := make([]string, 0, len(elems))
	for i, e := range elems {
		id, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("id %d is a %s, want a string", i, typeName(e))
		}
		ids = append(ids, id)
	}
	return &Seen{IDs: ids}, nil
}
