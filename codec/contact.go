package codec

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// EncodeContactUpdate writes a c6 contact update the way SR wrote it from
// late 2019 on (PROTOCOL.md §9.2):
//
//	["~#c6",[name,profile-image,address,null,null]]
//
// The last two fields (push token and device info) are always null.
func EncodeContactUpdate(c ContactInfo) ([]byte, error) {
	if c.Kind != "" && c.Kind != TagContactUpdate {
		return nil, fmt.Errorf("encode contact update: kind %q, only %s is sent", c.Kind, TagContactUpdate)
	}
	// CleanName also bounds the length (MaxNameRunes), so a record stays
	// far below any envelope limit.
	if c.Name == "" || CleanName(c.Name) != c.Name {
		return nil, errors.New("encode contact update: the name is empty, too long or not clean")
	}
	for _, s := range []string{c.ProfileImage, c.Address} {
		if !utf8.ValidString(s) {
			return nil, errors.New("encode contact update: a field is not valid UTF-8")
		}
	}
	b := make([]byte, 0, 48+len(c.Name)+len(c.ProfileImage)+len(c.Address))
	b = append(b, `["~#c6",[`...)
	b = appendJSString(b, transitString(c.Name))
	b = append(b, ',')
	b = appendJSString(b, transitString(c.ProfileImage))
	b = append(b, ',')
	b = appendJSString(b, transitString(c.Address))
	b = append(b, ",null,null]]"...)
	return b, nil
}
