package session

import "testing"

// Each data dir is one installation: the id is made at first start, kept
// across restarts, and differs between data dirs even for the same key.
func TestInstallationIDKeptPerDataDir(t *testing.T) {
	a := newClient(t, clientOptions{})
	first := a.mgr.Self().Installation
	if len(first) != 36 {
		t.Fatalf("installation id %q is not a UUID", first)
	}
	a.restart(clientOptions{})
	if got := a.mgr.Self().Installation; got != first {
		t.Fatalf("installation id changed across restart: %s → %s", first, got)
	}
	b := newClient(t, clientOptions{identity: a.id})
	if got := b.mgr.Self().Installation; got == first || got == "" {
		t.Fatalf("second data dir of the same key got installation %q (first %q)", got, first)
	}
}
