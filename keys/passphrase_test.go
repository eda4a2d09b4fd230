package keys

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadPasswordFile(t *testing.T) {
	cases := []struct{ content, want string }{
		{"", ""},
		{"\n", ""},
		{"\r\n", ""},
		{"secret", "secret"},
		{"secret\n", "secret"},
		{"secret\r\n", "secret"},
		{"secret\n\n", "secret\n"},
		{"secret\r", "secret\r"},
		{"  spaced out \t\n", "  spaced out \t"},
		{"two\nlines\n", "two\nlines"},
		{"ünïcødé\n", "ünïcødé"},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "pw")
		writeFile(t, path, []byte(c.content))
		got, err := ReadPasswordFile(path)
		if err != nil {
			t.Fatalf("%q: %v", c.content, err)
		}
		if got != c.want {
			t.Errorf("%q: got %q, want %q", c.content, got, c.want)
		}
	}
}

func TestReadPasswordFileMissing(t *testing.T) {
	_, err := ReadPasswordFile(filepath.Join(t.TempDir(), "absent"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
}

// pipeWith returns the read end of a pipe that yields input then EOF.
func pipeWith(t *testing.T, input string) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if _, err := io.WriteString(w, input); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPromptPipe(t *testing.T) {
	cases := []struct {
		name, input string
		confirm     bool
		want        string
		wantErr     error
	}{
		{name: "one line", input: "hunter2\n", want: "hunter2"},
		{name: "crlf", input: "hunter2\r\n", want: "hunter2"},
		{name: "no final newline", input: "hunter2", want: "hunter2"},
		{name: "spaces kept", input: " a b \n", want: " a b "},
		{name: "typed empty", input: "\n", want: ""},
		{name: "eof only", input: "", wantErr: ErrNoPassphrase},
		{name: "confirm match", input: "s3cret\ns3cret\n", confirm: true, want: "s3cret"},
		{name: "confirm typed empty", input: "\n\n", confirm: true, want: ""},
		{name: "confirm mismatch", input: "s3cret\ns3cre7\n", confirm: true, wantErr: ErrPassphraseMismatch},
		{name: "confirm eof", input: "s3cret\n", confirm: true, wantErr: ErrNoPassphrase},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out strings.Builder
			got, err := Prompt(pipeWith(t, c.input), &out, "Passphrase: ", c.confirm)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("got %q, %v; want %v", got, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			wantOut := "Passphrase: "
			if c.confirm {
				wantOut += "Repeat passphrase: "
			}
			if out.String() != wantOut {
				t.Fatalf("wrote %q, want %q", out.String(), wantOut)
			}
		})
	}
}

// Prompt must not swallow input past its line: the caller may read on.
func TestPromptLeavesRestOfInput(t *testing.T) {
	in := pipeWith(t, "first\nsecond line\n")
	var out strings.Builder
	got, err := Prompt(in, &out, "> ", false)
	if err != nil {
		t.Fatal(err)
	}
	if got != "first" {
		t.Fatalf("got %q", got)
	}
	rest, err := io.ReadAll(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(rest) != "second line\n" {
		t.Fatalf("rest of input %q", rest)
	}
}

func TestPromptLineTooLong(t *testing.T) {
	// Write from a goroutine: the input exceeds the pipe buffer.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		defer w.Close()
		_, _ = io.WriteString(w, strings.Repeat("x", maxPassphraseLen+10)+"\n")
	}()
	got, err := Prompt(r, io.Discard, "> ", false)
	if err == nil {
		t.Fatalf("accepted a %d byte line", len(got))
	}
}
