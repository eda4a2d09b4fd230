package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// This file is a small reader for transit JSON (non-verbose, with the rolling
// cache), written here rather than using russolsen/transit because that
// decoder panics on many malformed inputs (a tag with no value, an odd-length
// map, an unhashable map key, "~" alone, ...). Every path here returns an
// error instead. The tests cross-check it against russolsen on valid input.

// Limits on hostile input. Status payloads nest about six levels deep (a g5
// record holding event maps); whisper caps a message at 1 MiB by default.
const (
	maxNesting      = 64
	MaxPayloadBytes = 1 << 20
)

// transit cache parameters, as in the transit spec: codes are "^" followed by
// one or two base-44 digits starting at '0', and the cache starts over when
// 44*44 entries are in use.
const (
	cacheDigits     = 44
	cacheBase       = '0'
	cacheCapacity   = cacheDigits * cacheDigits
	minCacheableLen = 4
	mapAsArray      = "^ "
)

// Decoded transit values are nil, bool, int64, *big.Int, float64, string,
// keyword, symbol, []any, transitMap, tagged or extScalar.
type (
	keyword string
	symbol  string
	// tagged is a composite value with a tag the reader does not interpret:
	// records ("c4"), sets, lists.
	tagged struct {
		tag string
		rep any
	}
	// transitMap keeps entries in wire order; keys may be any transit value,
	// including ones Go cannot hash, so it is a list rather than a Go map.
	transitMap []mapEntry
	mapEntry   struct{ key, value any }
	// tagMarker is "~#tag" read in a position where only a tag may follow.
	tagMarker string
	// extScalar is a string with a scalar tag Status records do not use:
	// times ("~m"), UUIDs ("~u"), URIs, bytes, chars, decimals, unknown.
	extScalar struct{ tag, text string }
)

// get returns the value of the last entry whose key is the keyword k.
func (m transitMap) get(k string) (any, bool) {
	for i := len(m) - 1; i >= 0; i-- {
		if kw, ok := m[i].key.(keyword); ok && string(kw) == k {
			return m[i].value, true
		}
	}
	return nil, false
}

// transitReader holds the rolling cache of one top-level read.
type transitReader struct {
	cache []string
}

// readTransit parses one transit JSON value from payload.
func readTransit(payload []byte) (any, error) {
	if len(payload) > MaxPayloadBytes {
		return nil, fmt.Errorf("payload is %d bytes, limit %d", len(payload), MaxPayloadBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("bad JSON: data after the value")
	}
	r := transitReader{}
	v, err := r.value(raw, false, 0)
	if err != nil {
		return nil, err
	}
	if _, ok := v.(tagMarker); ok {
		return nil, errors.New("bad transit: tag without a value")
	}
	return v, nil
}

// value converts one JSON value; asKey says whether it sits in a map key
// position, which makes strings of 4 or more bytes cacheable.
func (r *transitReader) value(raw any, asKey bool, depth int) (any, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("bad transit: nested deeper than %d", maxNesting)
	}
	switch v := raw.(type) {
	case nil, bool:
		return v, nil
	case json.Number:
		return jsonNumber(v)
	case string:
		return r.str(v, asKey)
	case []any:
		return r.array(v, depth)
	case map[string]any:
		return r.object(v, depth)
	default:
		return nil, fmt.Errorf("bad transit: unexpected JSON value %T", raw)
	}
}

// element is value for a position where a bare tag is an error.
func (r *transitReader) element(raw any, asKey bool, depth int) (any, error) {
	v, err := r.value(raw, asKey, depth)
	if err != nil {
		return nil, err
	}
	if t, ok := v.(tagMarker); ok {
		return nil, fmt.Errorf("bad transit: tag %q outside a tagged value", string(t))
	}
	return v, nil
}

func jsonNumber(n json.Number) (any, error) {
	s := n.String()
	if strings.ContainsAny(s, ".eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, fmt.Errorf("bad transit: number %.20q out of range", s)
		}
		return f, nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	return bigInteger(s)
}

// bigInteger parses an integer too large for int64. Long digit strings are
// refused: converting them costs time quadratic in their length.
func bigInteger(s string) (any, error) {
	const maxDigits = 40
	if len(s) > maxDigits {
		return nil, fmt.Errorf("bad transit: integer of %d digits", len(s))
	}
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("bad transit: bad integer %.30q", s)
	}
	return b, nil
}

func (r *transitReader) str(s string, asKey bool) (any, error) {
	if len(s) > 0 && s[0] == '^' && s != mapAsArray {
		cached, err := r.lookup(s)
		if err != nil {
			return nil, err
		}
		return scalar(cached)
	}
	if isCacheable(s, asKey) {
		r.remember(s)
	}
	return scalar(s)
}

func isCacheable(s string, asKey bool) bool {
	if len(s) < minCacheableLen {
		return false
	}
	if asKey {
		return true
	}
	return s[0] == '~' && (s[1] == '#' || s[1] == ':' || s[1] == '$')
}

func (r *transitReader) remember(s string) {
	if len(r.cache) >= cacheCapacity {
		r.cache = r.cache[:0]
	}
	r.cache = append(r.cache, s)
}

// lookup resolves a cache code such as "^0" or "^1B".
func (r *transitReader) lookup(code string) (string, error) {
	digit := func(c byte) (int, bool) {
		d := int(c) - cacheBase
		return d, d >= 0 && d < cacheDigits
	}
	idx := -1
	switch len(code) {
	case 2:
		if d, ok := digit(code[1]); ok {
			idx = d
		}
	case 3:
		hi, ok1 := digit(code[1])
		lo, ok2 := digit(code[2])
		if ok1 && ok2 {
			idx = hi*cacheDigits + lo
		}
	}
	if idx < 0 {
		return "", fmt.Errorf("bad transit: bad cache reference %.10q", code)
	}
	if idx >= len(r.cache) {
		return "", fmt.Errorf("bad transit: cache reference %q used before it was defined", code)
	}
	return r.cache[idx], nil
}

// scalar interprets a transit string: "~"-prefixed strings carry a type.
func scalar(s string) (any, error) {
	if len(s) == 0 || s[0] != '~' {
		return s, nil
	}
	if len(s) == 1 {
		return nil, errors.New(`bad transit: lone "~"`)
	}
	body := s[2:]
	switch s[1] {
	case '~', '^', '`':
		return s[1:], nil
	case '#':
		return tagMarker(body), nil
	case ':':
		return keyword(body), nil
	case '$':
		return symbol(body), nil
	case '_':
		return nil, nil
	case '?':
		switch body {
		case "t":
			return true, nil
		case "f":
			return false, nil
		}
		return nil, fmt.Errorf("bad transit: bad boolean %.10q", s)
	case 'i':
		i, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad transit: bad integer %.30q", s)
		}
		return i, nil
	case 'n':
		return bigInteger(body)
	case 'd':
		f, err := strconv.ParseFloat(body, 64)
		if err != nil {
			return nil, fmt.Errorf("bad transit: bad float %.30q", s)
		}
		return f, nil
	case 'z':
		switch body {
		case "NaN":
			return math.NaN(), nil
		case "INF":
			return math.Inf(1), nil
		case "-INF":
			return math.Inf(-1), nil
		}
		return nil, fmt.Errorf("bad transit: bad special number %.10q", s)
	default:
		return extScalar{tag: s[1:2], text: body}, nil
	}
}

func (r *transitReader) array(a []any, depth int) (any, error) {
	if len(a) == 0 {
		return []any{}, nil
	}
	if s, ok := a[0].(string); ok && s == mapAsArray {
		return r.arrayMap(a[1:], depth)
	}
	first, err := r.value(a[0], false, depth+1)
	if err != nil {
		return nil, err
	}
	if tag, ok := first.(tagMarker); ok {
		if len(a) != 2 {
			return nil, fmt.Errorf("bad transit: tagged value %q has %d elements, want 2", string(tag), len(a))
		}
		rep, err := r.element(a[1], false, depth+1)
		if err != nil {
			return nil, err
		}
		return tagged{tag: string(tag), rep: rep}, nil
	}
	out := make([]any, len(a))
	out[0] = first
	for i := 1; i < len(a); i++ {
		if out[i], err = r.element(a[i], false, depth+1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *transitReader) arrayMap(kv []any, depth int) (any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("bad transit: map has a key without a value")
	}
	m := make(transitMap, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, err := r.element(kv[i], true, depth+1)
		if err != nil {
			return nil, err
		}
		v, err := r.element(kv[i+1], false, depth+1)
		if err != nil {
			return nil, err
		}
		m = append(m, mapEntry{key: k, value: v})
	}
	return m, nil
}

// object reads verbose transit: a JSON object is a map, or a tagged value when
// its single key is a tag. SR never writes this form; it is read for
// completeness, with keys in sorted order so the result does not depend on Go
// map iteration.
func (r *transitReader) object(o map[string]any, depth int) (any, error) {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m := make(transitMap, 0, len(keys))
	for _, k := range keys {
		key, err := r.value(k, true, depth+1)
		if err != nil {
			return nil, err
		}
		if tag, ok := key.(tagMarker); ok {
			if len(o) != 1 {
				return nil, fmt.Errorf("bad transit: tag %q as a key of a %d-entry map", string(tag), len(o))
			}
			rep, err := r.element(o[k], false, depth+1)
			if err != nil {
				return nil, err
			}
			return tagged{tag: string(tag), rep: rep}, nil
		}
		v, err := r.element(o[k], false, depth+1)
		if err != nil {
			return nil, err
		}
		m = append(m, mapEntry{key: key, value: v})
	}
	return m, nil
}

// typeName names a decoded value's transit type for error messages.
func typeName(v any) string {
	switch t := v.(type) {
	case nil:
		return "nil"
	case bool:
		return "boolean"
	case int64, *big.Int:
		return "integer"
	case float64:
		return "float"
	case string:
		return "string"
	case keyword:
		return "keyword"
	case symbol:
		return "symbol"
	case []any:
		return "array"
	case transitMap:
		return "map"
	case tagged:
		return "tagged value #" + t.tag
	case extScalar:
		return "scalar ~" + t.tag
	default:
		return fmt.Sprintf("%T", v)
	}
}
