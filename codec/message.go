package codec

// Content types a Status message can carry on the wire.
const (
	ContentTypeText    = "text/plain"
	ContentTypeSticker = "sticker"
	ContentTypeCommand = "command"
	// contentTypeCommandRequest is SR's legacy label for /request; the reader
	// turns it into ContentTypeCommand.
	contentTypeCommandRequest = "command-request"
)

// Message types, written on the wire as keywords (":user-message").
const (
	MessageTypePublic  = "public-group-user-message"
	MessageTypePrivate = "user-message"
	MessageTypeGroup   = "group-user-message"
)

// MaxTextBytes bounds the text of a message: larger text is rejected on encode
// and dropped on decode. SR has no such limit; it keeps a hostile peer from
// filling the store and the screen.
const MaxTextBytes = 64 << 10

// Record tags this package gives meaning to.
const (
	TagMessage        = "c4"
	TagMessageV7      = "c7"
	TagContactRequest = "c2"
	TagContactConfirm = "c3"
	TagContactUpdate  = "c6"
	TagSeen           = "c5"
)

// Record is one decoded payload: *Message, *ContactInfo, *Seen, *Membership or
// *Unknown.
type Record interface{ Tag() string }

// Message is a c4 (or c7) chat message.
type Message struct {
	Text        string
	ContentType string
	MessageType string // without the leading colon
	Clock       int64
	Timestamp   int64  // unix ms at the sender; 0 if nil
	ChatID      string // content :chat-id
	StickerURI  string // content :uri for stickers
	CommandPath string // first element of :command-path for commands, e.g. "send"
}

// Tag reports "c4": a c7 record is read as the same message.
func (*Message) Tag() string { return TagMessage }

// ContactInfo is a contact request (c2), its confirmation (c3) or a contact
// update (c6). Name has been through CleanName; the other fields are as sent.
type ContactInfo struct {
	Kind         string // "c2", "c3" or "c6"
	Name         string
	ProfileImage string
	Address      string
}

// Tag reports the record's kind.
func (c *ContactInfo) Tag() string { return c.Kind }

// Seen lists the ids of messages the sender has read (c5).
type Seen struct{ IDs []string }

// Tag reports "c5".
func (*Seen) Tag() string { return TagSeen }

// Unknown is a well-formed tagged record hush does not interpret: p1/p2
// (device pairing) or any tag it has never heard of.
type Unknown struct{ TagName string }

// Tag reports the record's tag.
func (u *Unknown) Tag() string { return u.TagName }
