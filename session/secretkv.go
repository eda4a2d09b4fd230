package session

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"hush/store"
)

// SecretStore is where the encryption stage's sealed state lives.
// *store.Secrets implements it; Apply writes several changes in one
// transaction.
type SecretStore interface {
	Get(ns, key string) ([]byte, bool, error)
	Keys(ns, prefix string) ([]string, error)
	Apply(ops []store.SecretOp) error
}

// secretKV is the encryption stage's KV. Writes wait in memory until the
// next flush and reads see them first, so that a batch of received
// messages, which moves ratchets and deletes used keys once per message,
// costs one transaction.
//
// The order of flushes is what keeps this safe:
//   - receiving flushes after the batch's messages are stored: a crash in
//     between leaves the older ratchet state, from which the stored
//     messages' keys could be derived again, but nothing is lost;
//   - sending flushes after Encrypt and before the envelope is posted: a
//     message key that went out on the wire is never handed out twice.
type secretKV struct {
	db SecretStore

	mu      sync.Mutex
	pending map[nsKey]*store.SecretOp
	order   []nsKey // write order of pending, for Apply
}

type nsKey struct{ ns, key string }

func newSecretKV(db SecretStore) *secretKV {
	return &secretKV{db: db, pending: make(map[nsKey]*store.SecretOp)}
}

func (k *secretKV) Put(ns, key string, value []byte) error {
	k.set(store.SecretOp{NS: ns, Key: key, Value: append([]byte(nil), value...)})
	return nil
}

func (k *secretKV) Delete(ns, key string) error {
	k.set(store.SecretOp{NS: ns, Key: key, Delete: true})
	return nil
}

func (k *secretKV) set(op store.SecretOp) {
	k.mu.Lock()
	defer k.mu.Unlock()
	nk := nsKey{op.NS, op.Key}
	if _, ok := k.pending[nk]; !ok {
		k.order = append(k.order, nk)
	}
	k.pending[nk] = &op
}

func (k *secretKV) Get(ns, key string) ([]byte, bool, error) {
	k.mu.Lock()
	op, ok := k.pending[nsKey{ns, key}]
	k.mu.Unlock()
	if ok {
		if op.Delete {
			return nil, false, nil
		}
		return append([]byte(nil), op.Value...), true, nil
	}
	return k.db.Get(ns, key)
}

func (k *secretKV) Keys(ns, prefix string) ([]string, error) {
	// Holding the lock across the read keeps a flush from moving keys
	// between the two views while they are merged.
	k.mu.Lock()
	defer k.mu.Unlock()
	stored, err := k.db.Keys(ns, prefix)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(stored))
	for _, key := range stored {
		set[key] = true
	}
	for nk, op := range k.pending {
		if nk.ns != ns || !strings.HasPrefix(nk.key, prefix) {
			continue
		}
		set[nk.key] = !op.Delete
	}
	out := make([]string, 0, len(set))
	for key, present := range set {
		if present {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out, nil
}

// flush writes every waiting change in one transaction. On failure the
// changes stay waiting, so a later flush tries them again.
func (k *secretKV) flush() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.order) == 0 {
		return nil
	}
	ops := make([]store.SecretOp, len(k.order))
	for i, nk := range k.order {
		ops[i] = *k.pending[nk]
	}
	if err := k.db.Apply(ops); err != nil {
		return fmt.Errorf("write encryption state: %w", err)
	}
	clear(k.pending)
	k.order = k.order[:0]
	return nil
}
