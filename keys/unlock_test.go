package keys

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnlockCreatesThenLoadsWithPrompt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var out strings.Builder
	created, err := unlock(dir, "", pipeWith(t, "pw\npw\n"), &out, Light)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "New passphrase (empty for none): ") {
		t.Errorf("no new-passphrase prompt in %q", out.String())
	}
	if !strings.Contains(out.String(), "Created a new identity in "+identityPath(dir)) {
		t.Errorf("no creation notice naming the file in %q", out.String())
	}

	out.Reset()
	loaded, err := Unlock(dir, "", pipeWith(t, "pw\n"), &out)
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(created, loaded) {
		t.Fatal("Unlock loaded a different key")
	}
	if out.String() != "Passphrase: " {
		t.Errorf("wrote %q when unlocking", out.String())
	}
}

// TestUnlockCreateEmptyPassphrase: an identity made with an empty
// passphrase opens on later starts without a prompt.
func TestUnlockCreateEmptyPassphrase(t *testing.T) {
	dir := t.TempDir()
	created, err := unlock(dir, "", pipeWith(t, "\n\n"), &strings.Builder{}, Light)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(created, loaded) {
		t.Fatal("loaded a different key")
	}
	var out strings.Builder
	again, err := Unlock(dir, "", pipeWith(t, ""), &out)
	if err != nil || !sameKey(created, again) {
		t.Fatalf("second start: %v", err)
	}
	if out.Len() != 0 {
		t.Fatalf("second start wrote %q", out.String())
	}
}

// TestUnlockNoPassphraseMarkIgnoredWithPassphrase: a stray mark next to an
// identity that has a passphrase does not open it; the prompt still runs.
func TestUnlockNoPassphraseMarkIgnoredWithPassphrase(t *testing.T) {
	dir := t.TempDir()
	created, err := unlock(dir, "", pipeWith(t, "pw\npw\n"), &strings.Builder{}, Light)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, NoPassphraseFile)); err == nil {
		t.Fatal("mark written for an identity with a passphrase")
	}
	writeFile(t, filepath.Join(dir, NoPassphraseFile), nil)
	var out strings.Builder
	loaded, err := Unlock(dir, "", pipeWith(t, "pw\n"), &out)
	if err != nil || !sameKey(created, loaded) || out.String() != "Passphrase: " {
		t.Fatalf("unlock: %v, wrote %q", err, out.String())
	}
}

// TestUnlockCreateConfirmMismatch: a mismatched confirmation asks again;
// three in a row give up without creating anything.
func TestUnlockCreateConfirmMismatch(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	created, err := unlock(dir, "", pipeWith(t, "pw\npW\npw\npw\n"), &out, Light)
	if err != nil {
		t.Fatalf("second try: %v", err)
	}
	if !strings.Contains(out.String(), "do not match, try again") {
		t.Fatalf("no retry notice in %q", out.String())
	}
	if loaded, err := Load(dir, "pw"); err != nil || !sameKey(created, loaded) {
		t.Fatalf("load with the second try's passphrase: %v", err)
	}

	dir = t.TempDir()
	_, err = unlock(dir, "", pipeWith(t, "a\nb\na\nb\na\nb\nc\nc\n"), &strings.Builder{}, Light)
	if !errors.Is(err, ErrPassphraseMismatch) {
		t.Fatalf("got %v, want ErrPassphraseMismatch", err)
	}
	if _, err := os.Stat(identityPath(dir)); err == nil {
		t.Fatal("identity created despite three mismatches")
	}
}

func TestUnlockWithPasswordFile(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "pw")
	writeFile(t, pwFile, []byte("from file\n"))
	var out strings.Builder
	// No input at all: a password file must not fall back to prompting.
	created, err := unlock(dir, pwFile, pipeWith(t, ""), &out, Light)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "passphrase") {
		t.Errorf("prompted despite a password file: %q", out.String())
	}
	if _, err := Load(dir, "from file"); err != nil {
		t.Fatalf("identity not encrypted with the file's passphrase: %v", err)
	}

	loaded, err := Unlock(dir, pwFile, pipeWith(t, ""), &out)
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(created, loaded) {
		t.Fatal("Unlock loaded a different key")
	}

	writeFile(t, pwFile, []byte("wrong\n"))
	if _, err := Unlock(dir, pwFile, pipeWith(t, ""), &out); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("got %v, want ErrBadPassphrase", err)
	}
}

func TestUnlockRetriesMistypedPassphrase(t *testing.T) {
	dir := t.TempDir()
	created, err := Create(dir, "pw", Light)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	loaded, err := Unlock(dir, "", pipeWith(t, "typo\npw\n"), &out)
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(created, loaded) {
		t.Fatal("loaded a different key")
	}
	if strings.Count(out.String(), "Wrong passphrase") != 1 {
		t.Errorf("output %q", out.String())
	}

	input := strings.Repeat("typo\n", maxPromptAttempts) + "pw\n"
	if _, err := Unlock(dir, "", pipeWith(t, input), &out); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("after %d wrong tries got %v, want ErrBadPassphrase", maxPromptAttempts, err)
	}
}

func TestUnlockNoInput(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(dir, "pw", Light); err != nil {
		t.Fatal(err)
	}
	if _, err := Unlock(dir, "", pipeWith(t, ""), &strings.Builder{}); !errors.Is(err, ErrNoPassphrase) {
		t.Fatalf("got %v, want ErrNoPassphrase", err)
	}
}

func TestUnlockTwoCandidates(t *testing.T) {
	dir := t.TempDir()
	a, _ := encryptedKeyJSON(t, "pw")
	b, _ := encryptedKeyJSON(t, "pw")
	writeFile(t, filepath.Join(dir, "a.json"), a)
	writeFile(t, filepath.Join(dir, "b.json"), b)
	if _, err := unlock(dir, "", pipeWith(t, "pw\npw\n"), &strings.Builder{}, Light); err == nil {
		t.Fatal("unlocked with two candidate keystores")
	}
	if _, err := os.Stat(identityPath(dir)); err == nil {
		t.Fatal("created an identity next to two keystores")
	}
}
