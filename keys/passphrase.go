package keys

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/term"
)

// ErrPassphraseMismatch means the two entries of a confirmed prompt differ.
var ErrPassphraseMismatch = errors.New("passphrases do not match")

// ErrNoPassphrase means input ended before a passphrase line was entered.
// It is distinct from an empty passphrase, which must be typed (Enter).
var ErrNoPassphrase = errors.New("no passphrase entered")

// maxPassphraseLen bounds a passphrase read from a file or a pipe.
const maxPassphraseLen = 64 << 10

// ReadPasswordFile returns the passphrase in the file at path: its contents
// minus one trailing "\n" or "\r\n", as editors and echo add one. Other
// whitespace is part of the passphrase. An empty file is the empty passphrase.
func ReadPasswordFile(path string) (string, error) {
	data, err := readSmallFile(path, maxPassphraseLen)
	if err != nil {
		return "", fmt.Errorf("read password file: %w", err)
	}
	defer clear(data)
	s := string(data)
	if t, ok := strings.CutSuffix(s, "\r\n"); ok {
		return t, nil
	}
	return strings.TrimSuffix(s, "\n"), nil
}

// Prompt writes prompt to out and reads a passphrase from in: without echo
// if in is a terminal, else as one line. With confirm it asks a second time
// and returns ErrPassphraseMismatch if the entries differ. Input ending
// before any line was entered gives ErrNoPassphrase, never "".
func Prompt(in *os.File, out io.Writer, prompt string, confirm bool) (string, error) {
	first, err := promptOnce(in, out, prompt)
	if err != nil {
		return "", err
	}
	if !confirm {
		return first, nil
	}
	second, err := promptOnce(in, out, "Repeat passphrase: ")
	if err != nil {
		return "", err
	}
	if first != second {
		return "", ErrPassphraseMismatch
	}
	return first, nil
}

// PromptNew asks for a new passphrase and its confirmation; a mismatch
// says so and asks again, up to 3 times, then gives
// ErrPassphraseMismatch.
func PromptNew(in *os.File, out io.Writer) (string, error) {
	var err error
	for attempt := 1; attempt <= maxPromptAttempts; attempt++ {
		var pass string
		pass, err = Prompt(in, out, "New passphrase (empty for none): ", true)
		if !errors.Is(err, ErrPassphraseMismatch) {
			return pass, err
		}
		if attempt < maxPromptAttempts {
			fmt.Fprintln(out, "The passphrases do not match, try again.")
		}
	}
	return "", err
}

func promptOnce(in *os.File, out io.Writer, prompt string) (string, error) {
	if _, err := io.WriteString(out, prompt); err != nil {
		return "", fmt.Errorf("write prompt: %w", err)
	}
	if term.IsTerminal(int(in.Fd())) {
		return readTerminal(in, out)
	}
	return readLine(in)
}

func readTerminal(in *os.File, out io.Writer) (string, error) {
	defer restoreOnSignal(int(in.Fd()))()
	line, err := term.ReadPassword(int(in.Fd()))
	// The user's Enter was not echoed either; end the prompt line for them.
	if _, werr := io.WriteString(out, "\n"); werr != nil && err == nil {
		err = fmt.Errorf("write prompt: %w", werr)
	}
	defer clear(line)
	if errors.Is(err, io.EOF) {
		return "", ErrNoPassphrase
	}
	if err != nil {
		return "", fmt.Errorf("read passphrase: %w", err)
	}
	return string(line), nil
}

// restoreOnSignal makes Ctrl+C (or SIGTERM) during a no-echo read put the
// terminal back before the signal takes its usual effect; x/term leaves
// echo off otherwise. The returned func ends the watch.
func restoreOnSignal(fd int) func() {
	state, err := term.GetState(fd)
	if err != nil {
		return func() {}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			_ = term.Restore(fd, state)
			signal.Stop(sigs)
			// Deliver the signal again, now with its default action.
			if p, err := os.FindProcess(os.Getpid()); err == nil {
				_ = p.Signal(sig)
			}
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}

// readLine reads up to and excluding the next "\n" (and a "\r" before it)
// one byte at a time, so nothing after the line is consumed from in and
// the caller can still read the rest. Text ended by EOF instead of "\n" is
// accepted, as from printf without a newline; EOF alone is ErrNoPassphrase.
func readLine(in io.Reader) (string, error) {
	var line bytes.Buffer
	defer func() { clear(line.Bytes()) }()
	var b [1]byte
	// Each pass reads at most one byte, so this bounds the line length
	// (and the passes a misbehaving reader returning 0, nil can cost).
	for range maxPassphraseLen + 1 {
		n, err := in.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				return strings.TrimSuffix(line.String(), "\r"), nil
			}
			line.WriteByte(b[0])
			continue
		}
		if errors.Is(err, io.EOF) {
			if line.Len() == 0 {
				return "", ErrNoPassphrase
			}
			return strings.TrimSuffix(line.String(), "\r"), nil
		}
		if err != nil {
			return "", fmt.Errorf("read passphrase: %w", err)
		}
	}
	return "", fmt.Errorf("read passphrase: no end of line within %d bytes", maxPassphraseLen)
}
