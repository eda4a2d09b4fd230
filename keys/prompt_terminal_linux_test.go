package keys

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY returns both ends of a new pseudo-terminal, skipping the test
// where the system has none to give.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Skipf("pty number: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pty slave: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

func echoOn(t *testing.T, tty *os.File) bool {
	t.Helper()
	termios, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return termios.Lflag&unix.ECHO != 0
}

func TestPromptTerminal(t *testing.T) {
	cases := []struct {
		name, typed string
		confirm     bool
		want        string
		wantErr     error
	}{
		{name: "plain", typed: "s3cret\n", want: "s3cret"},
		{name: "typed empty", typed: "\n", want: ""},
		{name: "confirm", typed: "s3cret\ns3cret\n", confirm: true, want: "s3cret"},
		{name: "confirm mismatch", typed: "s3cret\nother\n", confirm: true, wantErr: ErrPassphraseMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			master, slave := openPTY(t)
			if !echoOn(t, slave) {
				t.Fatal("new pty has echo off")
			}
			// The line discipline buffers the typed lines until read.
			if _, err := io.WriteString(master, c.typed); err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			got, err := Prompt(slave, &out, "Passphrase: ", c.confirm)
			if !echoOn(t, slave) {
				t.Error("terminal echo left off after Prompt")
			}
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
			// The Enter key is not echoed, so Prompt ends each line itself.
			wantOut := "Passphrase: \n"
			if c.confirm {
				wantOut += "Repeat passphrase: \n"
			}
			if out.String() != wantOut {
				t.Fatalf("wrote %q, want %q", out.String(), wantOut)
			}
		})
	}
}
