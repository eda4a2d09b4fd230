package encryption

import (
	"bytes"
	"sort"
	"strings"
	"sync"
)

// KV is where the layer keeps its state: signed prekeys, peers'
// installations, ratchet sessions. Every value is sealed before Put, and
// every key name below the namespace is a keyed hash, so the store learns
// neither secrets nor who the peers are. The store package implements it.
type KV interface {
	Put(ns, key string, value []byte) error
	Get(ns, key string) (value []byte, ok bool, err error)
	Delete(ns, key string) error
	Keys(ns, prefix string) ([]string, error)
}

// Op is one change of a batch: a Put, or a Delete when Delete is set.
type Op struct {
	NS, Key string
	Value   []byte
	Delete  bool
}

// Batcher is a KV that can write several changes in one transaction, all
// or none. When the KV given to New is one, every Encrypt and Decrypt
// writes its changes with a single Apply.
type Batcher interface {
	Apply(ops []Op) error
}

// NewMemoryKV returns a KV that lives in memory, for tests and tools.
func NewMemoryKV() KV { return &memoryKV{m: map[string][]byte{}} }

type memoryKV struct {
	mu sync.Mutex
	m  map[string][]byte // ns + "\x00" + key
}

func (kv *memoryKV) Put(ns, key string, value []byte) error {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	kv.m[ns+"\x00"+key] = bytes.Clone(value)
	return nil
}

func (kv *memoryKV) Get(ns, key string) ([]byte, bool, error) {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	v, ok := kv.m[ns+"\x00"+key]
	return bytes.Clone(v), ok, nil
}

func (kv *memoryKV) Delete(ns, key string) error {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	delete(kv.m, ns+"\x00"+key)
	return nil
}

func (kv *memoryKV) Keys(ns, prefix string) ([]string, error) {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	var keys []string
	for k := range kv.m {
		if rest, ok := strings.CutPrefix(k, ns+"\x00"); ok && strings.HasPrefix(rest, prefix) {
			keys = append(keys, rest)
		}
	}
	sort.Strings(keys)
	return keys, nil
}
