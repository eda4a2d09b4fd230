package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/p2p/enode"

	"hush/session"
)

// command is one of hush's subcommands, as a bit so a flag can name the
// set of commands it belongs to.
type command uint8

const (
	cmdChat command = 1 << iota
	cmdServe
	cmdWhoami

	allCommands = cmdChat | cmdServe | cmdWhoami
	// nodeCommands run a whisper node.
	nodeCommands = cmdChat | cmdServe
)

// commandNames maps the word on the command line to its command; "chat"
// is also what a bare "hush" runs.
var commandNames = []struct {
	name string
	cmd  command
	what string
}{
	{"chat", cmdChat, "start the chat client (the default)"},
	{"serve", cmdServe, "run a headless relay and mailserver; prints its enode URL first"},
	{"whoami", cmdWhoami, "print your public key and exit"},
}

func (c command) String() string {
	for _, n := range commandNames {
		if n.cmd == c {
			return n.name
		}
	}
	return "?"
}

// options are the parsed command line.
type options struct {
	command       command
	dataDir       string
	listen        string
	peers         listFlag
	mailservers   listFlag
	passwordFile  string
	importKey     string
	mailPassword  string
	archive       bool
	maxRange      time.Duration
	rateLimit     time.Duration
	retention     time.Duration
	maxPeers      int
	logLevel      string
	logFile       string
	mailserverPoW float64
	rpcWS         string
	ipc           string
	rpcRemote     bool
	rpcTokenFile  string
	nodeURL       string
	apiPath       string
	archiveDB     string
	metrics       string

	// Filled in by validate from the strings above.
	peerNodes         []*enode.Node
	parsedMailservers []session.Mailserver
	// set names the flags given on the command line.
	set map[string]bool
}

// flagDef is one command-line flag: the commands it belongs to, where its
// value goes and its help line. A new flag is one line in flagTable.
type flagDef struct {
	name  string
	cmds  command
	value flag.Value
	usage string
}

// flagTable lists every flag, bound to o. Defaults are set in o by the
// value constructors.
func flagTable(o *options) []flagDef {
	return []flagDef{
		{"data-dir", allCommands, stringVal(&o.dataDir, defaultDataDir()), "directory holding the identity, database and hush.log"},
		{"password-file", allCommands, stringVal(&o.passwordFile, ""), "read the identity passphrase from this file instead of prompting"},
		{"import-key", allCommands, stringVal(&o.importKey, ""), "create the identity from a file holding a hex private key"},
		{"listen", nodeCommands, stringVal(&o.listen, ""), "TCP address to accept inbound peers on, e.g. :30303 (client default: none, it only dials out; serve default: " + serveListen + ")"},
		{"peer", nodeCommands, (*listFlag)(&o.peers), "enode://… URL of a node to connect to and redial (repeatable)"},
		{"max-peers", nodeCommands, intVal(&o.maxPeers, 50), "maximum number of whisper peers"},
		{"log-level", nodeCommands, stringVal(&o.logLevel, "info"), "log level: debug, info, warn or error"},
		{"log-file", nodeCommands, stringVal(&o.logFile, ""), "log file; - for stderr (client default: DATA-DIR/hush.log; serve default: stderr)"},
		{"mailserver-password", nodeCommands, stringVal(&o.mailPassword, session.DefaultMailserverPassword), "password whose key encrypts history requests"},
		{"mailserver", nodeCommands, (*listFlag)(&o.mailservers), "enode://… URL of a mailserver for offline history (repeatable; first reachable wins; add ?format=geth for a geth mailserver); serve: for the session of --api"},
		{"archive", cmdServe, boolVal(&o.archive, true), "archive envelopes and answer history requests"},
		{"max-range", cmdServe, durationVal(&o.maxRange, 7*24*time.Hour), "longest time range one history request may ask for"},
		{"rate-limit", cmdServe, durationVal(&o.rateLimit, time.Second), "a peer regains one history request per this interval (the next page of a request is free)"},
		{"retention", cmdServe, durationVal(&o.retention, 30*24*time.Hour), "archived envelopes older than this are dropped (negative: keep all)"},
		{"mailserver-pow", cmdServe, floatVal(&o.mailserverPoW, 0.002), "minimum PoW of history requests"},
		{"api", nodeCommands, stringVal(&o.apiPath, ""), "serve the scripting API (hush_* JSON-RPC) on a Unix socket at PATH, mode 0600; hush serve --api runs a session without UI, for bots"},
		{"rpc-ws", cmdServe, stringVal(&o.rpcWS, ""), "serve the node's Whisper JSON-RPC (shh_*, shhext_requestMessages, admin_*) over WebSocket on ADDR, e.g. 127.0.0.1:8546; loopback callers only unless --rpc-allow-remote"},
		{"ipc", cmdServe, stringVal(&o.ipc, ""), "serve the same JSON-RPC on a Unix socket at PATH (mode 0600: your user only)"},
		{"rpc-allow-remote", cmdServe, boolVal(&o.rpcRemote, false), "let --rpc-ws take callers from other hosts; needs --rpc-token-file"},
		{"rpc-token-file", cmdServe, stringVal(&o.rpcTokenFile, ""), "file holding a token every --rpc-ws caller must present (Authorization: Bearer TOKEN, or ws://hush:TOKEN@host:port)"},
		{"node", cmdChat, stringVal(&o.nodeURL, ""), "run on this Whisper node (ws://… or an IPC socket path: hush serve --rpc-ws, or geth --shh) instead of an embedded one. Your private key is given to that node: whoever runs it can read your one-to-one messages"},
		{"archive-db", cmdServe, stringVal(&o.archiveDB, ""), "postgres://… URL of a PostgreSQL archive, which several servers may share (default: DATA-DIR/archive.db, SQLite)"},
		{"metrics", cmdServe, stringVal(&o.metrics, ""), "loopback HOST:PORT to serve Prometheus metrics on at /metrics, e.g. 127.0.0.1:9100 (stats are also logged every minute)"},
	}
}

// serveListen is where hush serve listens unless told otherwise.
const serveListen = ":30303"

// errHelp and errVersion end parsing without an error: main prints the
// usage or the version and exits 0.
var (
	errHelp    = errors.New("help requested")
	errVersion = errors.New("version requested")
)

// parseFlags reads the command line. Flags may come before or after the
// subcommand; a flag that belongs to another command is refused by name.
// On errHelp, the returned options' command says which usage to show
// (0: all).
func parseFlags(args []string) (options, error) {
	var opts options
	defs := flagTable(&opts)
	fs := flag.NewFlagSet("hush", flag.ContinueOnError)
	// The flag package would print its error and the whole usage; main
	// prints the error once instead.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for _, d := range defs {
		fs.Var(d.value, d.name, d.usage)
	}
	var help, version bool
	fs.BoolVar(&help, "help", false, "")
	fs.BoolVar(&help, "h", false, "")
	fs.BoolVar(&version, "version", false, "")

	var named command
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				opts.command = named
				return opts, errHelp
			}
			return opts, flagError(err)
		}
		if fs.NArg() == 0 {
			break
		}
		word := fs.Arg(0)
		if named == 0 && word == "help" {
			opts.command = 0
			if fs.NArg() > 1 {
				opts.command = lookupCommand(fs.Arg(1))
			}
			return opts, errHelp
		}
		c := lookupCommand(word)
		if c == 0 {
			if named != 0 {
				return opts, fmt.Errorf("unexpected argument %q after %s", word, named)
			}
			return opts, fmt.Errorf("unknown command %q: want one of %s", word, commandList())
		}
		if named != 0 {
			return opts, fmt.Errorf("two commands given: %s and %s", named, c)
		}
		named, args = c, fs.Args()[1:]
	}
	opts.command = named
	if opts.command == 0 {
		opts.command = cmdChat
	}
	if version {
		return opts, errVersion
	}
	if help {
		// "hush --help" is everything; "hush serve --help" is serve's.
		opts.command = named
		return opts, errHelp
	}
	opts.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { opts.set[f.Name] = true })
	for _, d := range defs {
		if opts.set[d.name] && d.cmds&opts.command == 0 {
			return opts, fmt.Errorf("--%s is a flag of %s, not of %s", d.name, commandsOf(d.cmds), opts.command)
		}
	}
	if opts.command == cmdServe && !opts.set["listen"] {
		opts.listen = serveListen
	}
	if err := opts.validate(); err != nil {
		return opts, err
	}
	return opts, nil
}

// flagErrors rewrite the flag package's messages in hush's wording,
// with flags spelled as the usage spells them.
var flagErrors = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`^flag provided but not defined: -+(.*)$`), "unknown flag --$1"},
	{regexp.MustCompile(`^flag needs an argument: -+(.*)$`), "--$1 needs a value"},
	{regexp.MustCompile(`^invalid (?:boolean )?value ("[^"]*") for (?:flag )?-+([^:]*): (.*)$`), "--$2 $1: $3"},
}

func flagError(err error) error {
	msg := err.Error()
	for _, f := range flagErrors {
		if f.re.MatchString(msg) {
			return errors.New(f.re.ReplaceAllString(msg, f.repl))
		}
	}
	return err
}

func lookupCommand(word string) command {
	for _, n := range commandNames {
		if n.name == word {
			return n.cmd
		}
	}
	return 0
}

func commandList() string {
	var names []string
	for _, n := range commandNames {
		names = append(names, n.name)
	}
	return strings.Join(names, ", ")
}

// commandsOf names the commands in c: "serve", "chat and serve".
func commandsOf(c command) string {
	var names []string
	for _, n := range commandNames {
		if c&n.cmd != 0 {
			names = append(names, "hush "+n.name)
		}
	}
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// printUsage writes the usage of one command (0: all commands), generated
// from flagTable.
func printUsage(w io.Writer, only command) {
	fmt.Fprintln(w, "hush: a terminal chat client for the Status protocol over Whisper v6")
	fmt.Fprintln(w, "\nUsage:")
	for _, n := range commandNames {
		if only != 0 && n.cmd != only {
			continue
		}
		synopsis := "hush " + n.name + " [flags]"
		if n.cmd == cmdChat {
			synopsis = "hush [flags]"
		}
		fmt.Fprintf(w, "  %-22s %s\n", synopsis, n.what)
	}
	if only == 0 {
		fmt.Fprintf(w, "  %-22s %s\n", "hush help [command]", "show this help, or one command's flags")
		fmt.Fprintf(w, "  %-22s %s\n", "hush --version", "print the version")
	}
	var opts options
	defs := flagTable(&opts)
	groups := []struct {
		title string
		cmds  command
	}{
		{"Flags of every command", allCommands},
		{"Flags of the client and serve", nodeCommands},
		{"Client flags", cmdChat},
		{"Serve flags", cmdServe},
	}
	for _, g := range groups {
		var lines []string
		for _, d := range defs {
			if d.cmds != g.cmds || (only != 0 && d.cmds&only == 0) {
				continue
			}
			lines = append(lines, flagHelp(d))
		}
		if len(lines) > 0 {
			fmt.Fprintf(w, "\n%s:\n%s", g.title, strings.Join(lines, ""))
		}
	}
	fmt.Fprintln(w, "\nFlags may come before or after the command; --name=value and -name value both work.")
}

func flagHelp(d flagDef) string {
	arg := ""
	switch d.value.(type) {
	case *boolValue:
	case *durationValue:
		arg = " DURATION"
	case *intValue:
		arg = " N"
	case *floatValue:
		arg = " X"
	case *listFlag:
		arg = " URL"
	default:
		arg = " VALUE"
		if strings.HasSuffix(d.name, "-dir") || strings.HasSuffix(d.name, "-file") || d.name == "import-key" {
			arg = " PATH"
		}
		switch d.name {
		case "listen", "rpc-ws":
			arg = " ADDR"
		case "ipc", "api":
			arg = " PATH"
		case "node":
			arg = " URL"
		}
	}
	s := fmt.Sprintf("  --%s%s\n        %s", d.name, arg, d.usage)
	if def := d.value.String(); def != "" && !slices.Contains([]string{"false", "0"}, def) && d.name != "mailserver-password" {
		s += fmt.Sprintf(" (default %s)", def)
	}
	return s + "\n"
}
