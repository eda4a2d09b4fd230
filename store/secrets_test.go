package store

import (
	"bytes"
	"os"
	"reflect"
	"regexp"
	"testing"
)

func TestSecretsPutGetDeleteKeys(t *testing.T) {
	s, _ := openTest(t)
	kv := s.Secrets()

	if _, ok, err := kv.Get("ratchet", "a"); err != nil || ok {
		t.Fatalf("Get of a missing key: ok=%v err=%v", ok, err)
	}
	for _, k := range []string{"b/2", "a/1", "a/2", "a\xff", "ab", "c"} {
		if err := kv.Put("ratchet", k, []byte("v-"+k)); err != nil {
			t.Fatalf("Put(%q): %v", k, err)
		}
	}
	// Same key in another namespace must not show up.
	if err := kv.Put("bundle", "a/1", []byte("other")); err != nil {
		t.Fatal(err)
	}
	if err := kv.Put("ratchet", "a/1", []byte("replaced")); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := kv.Get("ratchet", "a/1"); err != nil || !ok || string(v) != "replaced" {
		t.Fatalf("Get after overwrite = %q, %v, %v", v, ok, err)
	}
	if v, ok, err := kv.Get("bundle", "a/1"); err != nil || !ok || string(v) != "other" {
		t.Fatalf("Get in other namespace = %q, %v, %v", v, ok, err)
	}

	cases := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a/1", "a/2", "ab", "a\xff", "b/2", "c"}},
		{"a", []string{"a/1", "a/2", "ab", "a\xff"}}, // byte order: 0xff after b
		{"a/", []string{"a/1", "a/2"}},
		{"a\xff", []string{"a\xff"}},
		{"b", []string{"b/2"}},
		{"z", nil},
	}
	for _, c := range cases {
		got, err := kv.Keys("ratchet", c.prefix)
		if err != nil {
			t.Fatalf("Keys(%q): %v", c.prefix, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Keys(%q) = %q, want %q", c.prefix, got, c.want)
		}
	}

	if err := kv.Delete("ratchet", "a/1"); err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete("ratchet", "never-there"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	if _, ok, _ := kv.Get("ratchet", "a/1"); ok {
		t.Fatal("deleted key still there")
	}
	if _, ok, _ := kv.Get("bundle", "a/1"); !ok {
		t.Fatal("Delete removed the key from another namespace")
	}

	// An empty value is a value, not an absence.
	if err := kv.Put("x", "empty", nil); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := kv.Get("x", "empty"); err != nil || !ok || len(v) != 0 {
		t.Fatalf("empty value: %q %v %v", v, ok, err)
	}
}

func TestSecretsApplyIsOneTransaction(t *testing.T) {
	s, _ := openTest(t)
	kv := s.Secrets()
	if err := kv.Put("n", "keep", []byte("1")); err != nil {
		t.Fatal(err)
	}
	ops := []SecretOp{
		{NS: "n", Key: "k1", Value: []byte("a")},
		{NS: "n", Key: "keep", Delete: true},
		{NS: "n", Key: "k1", Value: []byte("b")}, // later op wins
	}
	if err := kv.Apply(ops); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := kv.Get("n", "k1"); string(v) != "b" {
		t.Fatalf("k1 = %q, want b", v)
	}
	if _, ok, _ := kv.Get("n", "keep"); ok {
		t.Fatal("delete in batch not applied")
	}

	// A failing op rolls the whole batch back: make the table refuse one
	// write with a trigger and check the op before it is not kept.
	if _, err := s.db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON secrets WHEN new.key = 'bad'
		BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	err := kv.Apply([]SecretOp{{NS: "n", Key: "first", Value: []byte("x")}, {NS: "n", Key: "bad", Value: []byte("y")}})
	if err == nil {
		t.Fatal("Apply with a refused op succeeded")
	}
	if _, ok, _ := kv.Get("n", "first"); ok {
		t.Fatal("op before the failure was kept: batch is not atomic")
	}
}

func TestSecretsSurviveReopen(t *testing.T) {
	s, path := openTest(t)
	val := bytes.Repeat([]byte{0xab}, 300)
	if err := s.Secrets().Put("session", "peer/inst", val); err != nil {
		t.Fatal(err)
	}
	id1, err := s.InstallationID()
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if v, ok, err := s2.Secrets().Get("session", "peer/inst"); err != nil || !ok || !bytes.Equal(v, val) {
		t.Fatalf("after reopen: %x %v %v", v, ok, err)
	}
	id2, err := s2.InstallationID()
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 {
		t.Fatalf("installation id changed across reopen: %s → %s", id1, id2)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("database file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
}

func TestInstallationIDIsRandomUUID(t *testing.T) {
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for i := range 3 {
		s, _ := openTest(t)
		id, err := s.InstallationID()
		if err != nil {
			t.Fatal(err)
		}
		if !uuidRE.MatchString(id) {
			t.Fatalf("installation id %q is not a v4 UUID", id)
		}
		again, _ := s.InstallationID()
		if again != id {
			t.Fatalf("second call gave %q, first %q", again, id)
		}
		if seen[id] {
			t.Fatalf("database %d got an id another fresh database had: %s", i, id)
		}
		seen[id] = true
	}
}
