package encryption

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"
)

// The HKDF info strings of the 2019 double ratchet (PROTOCOL.md §7.6). They
// are opaque constants; both ends must use these exact bytes.
const (
	rootInfo    = "rsZUpEuXUqqwXBvSy3EcievAh4cMj6QL"
	messageInfo = "pcwSByyx2CRdryCffXJwy7xgVZWtW5Sh"
)

const (
	ivLen  = 16
	tagLen = sha256.Size
)

// kdfRK is the root step: HKDF(secret = dhOut, salt = rk) → root key,
// chain key and a header key that the protocol never uses.
func kdfRK(rk, dhOut []byte) (root, chain []byte) {
	out := make([]byte, 96)
	if _, err := io.ReadFull(hkdf.New(sha256.New, dhOut, rk, []byte(rootInfo)), out); err != nil {
		panic(err) // 96 bytes is far below HKDF's limit
	}
	return out[0:32], out[32:64]
}

// kdfCK steps a chain: the next chain key and this message's key.
func kdfCK(ck []byte) (next, mk []byte) {
	return hmacSum(ck, 0x0f), hmacSum(ck, 0x10)
}

func hmacSum(key []byte, b byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte{b})
	return m.Sum(nil)
}

// messageKeys expands a message key into the AES key, the MAC key and the IV.
func messageKeys(mk []byte) (enc, auth, iv []byte) {
	out := make([]byte, 80)
	if _, err := io.ReadFull(hkdf.New(sha256.New, mk, make([]byte, 32), []byte(messageInfo)), out); err != nil {
		panic(err)
	}
	return out[0:32], out[32:64], out[64:80]
}

// sealMessage is iv || AES-256-CTR(pt) || HMAC-SHA256(auth, ad || iv || ct).
func sealMessage(mk, pt, ad []byte) []byte {
	enc, auth, iv := messageKeys(mk)
	out := make([]byte, ivLen+len(pt), ivLen+len(pt)+tagLen)
	copy(out, iv)
	ctr(enc, iv, out[ivLen:], pt)
	return append(out, mac(auth, ad, out)...)
}

// openMessage checks the tag before it decrypts; a mismatch is ErrTampered.
func openMessage(mk, ct, ad []byte) ([]byte, error) {
	if len(ct) < ivLen+tagLen {
		return nil, fmt.Errorf("%w: ciphertext of %d bytes", ErrTampered, len(ct))
	}
	enc, auth, _ := messageKeys(mk)
	body, tag := ct[:len(ct)-tagLen], ct[len(ct)-tagLen:]
	if !hmac.Equal(tag, mac(auth, ad, body)) {
		return nil, fmt.Errorf("%w: bad tag", ErrTampered)
	}
	pt := make([]byte, len(body)-ivLen)
	ctr(enc, body[:ivLen], pt, body[ivLen:])
	return pt, nil
}

func ctr(key, iv, dst, src []byte) {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // the key is always 32 bytes
	}
	cipher.NewCTR(block, iv).XORKeyStream(dst, src)
}

func mac(key, ad, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(ad)
	m.Write(body)
	return m.Sum(nil)
}

// header is the double ratchet header as the AD sees it.
type header struct {
	DH []byte // compressed ratchet key
	N  uint32
	PN uint32
}

// encode is LE32(N) || LE32(PN) || DH: the 41-byte associated data.
func (h header) encode() []byte {
	b := make([]byte, 8, 8+len(h.DH))
	binary.LittleEndian.PutUint32(b[0:4], h.N)
	binary.LittleEndian.PutUint32(b[4:8], h.PN)
	return append(b, h.DH...)
}
