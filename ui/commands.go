package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"hush/session"
)

// command is one slash command. The same table drives dispatch and /help.
type command struct {
	name string
	args string // synopsis of the arguments; "" when there are none
	help string
	run  func(args string) error
}

// commandTable lists the commands in the order /help shows them.
func (u *UI) commandTable() []command {
	return []command{
		{"join", "#name", "join a public chat and show it", u.cmdJoin},
		{"leave", "", "leave the chat on screen (a group: everyone is told)", u.cmdLeave},
		{"msg", "0x04…|name [text]", "open a one-to-one chat (and send text to it)", u.cmdMsg},
		{"group", "NAME KEY|NAME...", "create a private group with these members and invite them", u.cmdGroup},
		{"accept", "", "join the group on screen you were invited to", u.cmdAccept},
		{"decline", "", "refuse the invitation of the group on screen", u.cmdDecline},
		{"invite", "KEY|NAME...", "invite more members to the group on screen (admins)", u.cmdInvite},
		{"kick", "MEMBER", "remove a member from the group on screen (admins)", u.cmdKick},
		{"rename", "NAME", "rename the group on screen (admins)", u.cmdRename},
		{"admin", "MEMBER", "make a member an admin of the group on screen (admins)", u.cmdAdmin},
		{"members", "", "list the members of the group on screen", u.cmdMembers},
		{"nick", "[NAME]", "set your name for the peer of this one-to-one chat; alone, remove it", u.cmdNick},
		{"name", "[NAME]", "set the name your contacts see for you (~NAME); alone, show it", u.cmdName},
		{"who", "", "list who wrote in this chat recently", u.cmdWho},
		{"ignore", "[0x04…|name]", "hide and drop everything a key sends (kept across restarts); alone, list who is ignored", u.cmdIgnore},
		{"unignore", "0x04…|name", "stop ignoring a key", u.cmdUnignore},
		{"whoami", "", "show your public key (full width, to copy), enode and installation id", u.cmdWhoami},
		{"info", "", "show how this chat is encrypted, the peer's known devices and the topic in use", u.cmdInfo},
		{"history", "[duration]", "ask the mailserver for this chat's history (default 24h; e.g. 90m, 3d)", u.cmdHistory},
		{"search", "[text]", "search this chat's stored messages; alone, show the last results again", u.cmdSearch},
		{"resend", "", "send your last failed or pending message in this chat again", u.cmdResend},
		{"peers", "", "show how many peers are connected", u.cmdPeers},
		{"log", "", "list the recent notices and errors of the status line", u.cmdLog},
		{"help", "[cmd]", "list the commands, or explain one", u.cmdHelp},
		{"quit", "", "leave hush", u.cmdQuit},
	}
}

// synopsis is how a command is written: "/join #name".
func (c command) synopsis() string {
	if c.args == "" {
		return "/" + c.name
	}
	return "/" + c.name + " " + c.args
}

// usage is the error for a command used with the wrong arguments.
func (c command) usage() error { return errors.New("usage: " + c.synopsis()) }

// lookup finds a command by name (with or without the slash).
func (u *UI) lookup(name string) (command, bool) {
	name = strings.ToLower(strings.TrimPrefix(name, "/"))
	for _, c := range u.commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// runCommand dispatches "/name args"; problems become one red line.
func (u *UI) runCommand(line string) {
	line = strings.TrimSpace(strings.TrimPrefix(line, "/"))
	name, args := line, ""
	if i := strings.IndexAny(line, " \t\n"); i >= 0 {
		name, args = line[:i], line[i+1:]
	}
	c, ok := u.lookup(name)
	if !ok {
		u.showError(fmt.Errorf("unknown command /%s (try /help)", name))
		return
	}
	if err := c.run(strings.TrimSpace(args)); err != nil {
		if errors.Is(err, errUsage) {
			err = c.usage()
		}
		u.showError(err)
	}
}

// errUsage makes runCommand show the command's synopsis.
var errUsage = errors.New("usage")

func (u *UI) cmdJoin(args string) error {
	if args == "" || strings.ContainsAny(args, " \n") {
		return errUsage
	}
	c, err := u.session.JoinPublic(args)
	if err != nil {
		return err
	}
	u.addChat(c)
	u.openChat(c.ID)
	return nil
}

func (u *UI) cmdLeave(args string) error {
	if args != "" {
		return errUsage
	}
	if u.current == "" {
		return errNoChat
	}
	id := u.current
	if err := u.session.Leave(id); err != nil {
		return err
	}
	u.removeChat(id)
	return nil
}

func (u *UI) cmdMsg(args string) error {
	if args == "" {
		return errUsage
	}
	target, text := u.splitRecipient(args)
	c, err := u.session.OpenPrivate(target)
	if err != nil && !strings.Contains(target, " ") {
		// Not a name on screen: the first three words may be the
		// three-word name of someone the session knows.
		if name, rest, ok := firstWords(args, 3); ok {
			if named, nerr := u.session.OpenPrivate(name); nerr == nil {
				c, err, text = named, nil, rest
			}
		}
	}
	if err != nil {
		return err
	}
	u.addChat(c)
	u.openChat(c.ID)
	if text == "" {
		return nil
	}
	return u.send(text)
}

// firstWords splits s after its first n words (single spaces between them).
func firstWords(s string, n int) (words, rest string, ok bool) {
	end := 0
	for i := 0; i < n; i++ {
		for end < len(s) && s[end] == ' ' {
			end++
		}
		next := strings.IndexByte(s[end:], ' ')
		if next == 0 || end == len(s) {
			return "", "", false
		}
		if next < 0 {
			if i < n-1 {
				return "", "", false
			}
			end = len(s)
			break
		}
		end += next
	}
	return strings.TrimSpace(s[:end]), strings.TrimSpace(s[end:]), true
}

// splitRecipient splits "/msg" arguments into the key or name and the text.
// Names may contain spaces ("Sleepy Pink Panda"), so the longest known
// contact name at the start wins; otherwise the first word is the target.
func (u *UI) splitRecipient(args string) (target, text string) {
	for _, name := range u.contactNames() {
		n := len(name)
		if n > len(target) && n <= len(args) && strings.EqualFold(args[:n], name) &&
			(n == len(args) || args[n] == ' ') {
			target = args[:n]
		}
	}
	if target == "" || strings.HasPrefix(strings.ToLower(args), "0x") {
		target, _, _ = strings.Cut(args, " ")
	}
	return target, strings.TrimSpace(args[len(target):])
}

func (u *UI) cmdNick(args string) error {
	i := u.currentIndex()
	if i < 0 || u.chats[i].Kind != session.OneToOne {
		return errors.New("/nick works in a one-to-one chat; open one with /msg")
	}
	if err := u.session.SetNickname(u.current, args); err != nil {
		return err
	}
	if args == "" {
		u.showNotice("nickname removed", false)
	}
	return nil
}

func (u *UI) cmdWho(args string) error {
	if args != "" {
		return errUsage
	}
	if u.current == "" {
		return errNoChat
	}
	people, err := u.session.Who(u.current)
	if err != nil {
		return err
	}
	if len(people) == 0 {
		u.showNotice("nobody wrote here yet", false)
		return nil
	}
	who := "1 person"
	if len(people) > 1 {
		who = itoa(len(people)) + " people"
	}
	u.pane.addLocal(kindSystem, who+" wrote the newest messages here, latest first:")
	for _, p := range people {
		name := sanitizeText(p.Name, false)
		if name == "" {
			name = shortKey(p.Key)
		}
		u.pane.addLocal(kindSystem, "  "+name+"  "+shortKey(p.Key)+"  last "+
			p.LastSeen.Local().Format("Mon 02 Jan 15:04")+"  ("+plural(p.Messages, "message")+")")
	}
	return nil
}

func (u *UI) cmdName(args string) error {
	if args == "" {
		if u.self.DisplayName == "" {
			u.pane.addLocal(kindSystem, "you have no name of your own; others see "+u.self.Name+". /name NAME sets one")
		} else {
			u.pane.addLocal(kindSystem, "your contacts see you as ~"+u.self.DisplayName+" (your three-word name: "+u.self.Name+")")
		}
		return nil
	}
	return u.session.SetDisplayName(args)
}

func (u *UI) cmdInfo(args string) error {
	if args != "" {
		return errUsage
	}
	if u.current == "" {
		return errNoChat
	}
	info, err := u.session.Info(u.current)
	if err != nil {
		return err
	}
	if info.Kind == session.Public {
		u.pane.addLocal(kindSystem, "public chat, readable by anyone who knows its name; topic "+info.Topic)
		return nil
	}
	line := "encryption: " + info.Encryption + " (" + info.EncryptionDetail + ")"
	if info.LastReceived != "" {
		line += "; last received: " + info.LastReceived
	}
	u.pane.addLocal(kindSystem, line)
	u.pane.addLocal(kindSystem, "devices known: "+strconv.Itoa(len(info.Installations)))
	for _, in := range info.Installations {
		u.pane.addLocal(kindSystem, fmt.Sprintf("  %s protocol v%d, seen %s", in.ID, in.ProtocolVersion,
			in.SeenAt.Local().Format("Mon 02 Jan 15:04")))
	}
	u.pane.addLocal(kindSystem, "topic: "+info.Topic)
	return nil
}

func (u *UI) cmdHistory(args string) error {
	d, err := parseHistorySpan(args)
	if err != nil {
		return err
	}
	if u.current == "" {
		return errNoChat
	}
	return u.session.RequestHistory(u.current, d)
}

// parseHistorySpan reads a /history duration: a Go duration ("90m", "36h"),
// days ("3d") or both ("1d12h"); empty means 24h.
func parseHistorySpan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 24 * time.Hour, nil
	}
	bad := fmt.Errorf("want a duration like 90m, 24h or 7d, not %q", s)
	var d time.Duration
	if days, rest, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 3650 {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
		s = rest
	}
	if s != "" {
		more, err := time.ParseDuration(s)
		if err != nil {
			return 0, bad
		}
		d += more
	}
	if d <= 0 {
		return 0, bad
	}
	return d, nil
}

func (u *UI) cmdResend(args string) error {
	if args != "" {
		return errUsage
	}
	if u.current == "" {
		return errNoChat
	}
	m, ok := u.pane.lastUnsent()
	if !ok {
		return errors.New("no failed or pending message to resend in this chat")
	}
	return u.session.Resend(u.current, m.ID)
}

func (u *UI) cmdPeers(args string) error {
	if args != "" {
		return errUsage
	}
	u.peers = u.session.PeerCount()
	u.showNotice("connected to "+plural(u.peers, "peer"), false)
	return nil
}

func (u *UI) cmdHelp(args string) error {
	if args != "" {
		c, ok := u.lookup(args)
		if !ok {
			return fmt.Errorf("no command /%s (try /help)", strings.TrimPrefix(args, "/"))
		}
		u.pane.addLocal(kindSystem, c.synopsis()+" — "+c.help)
		return nil
	}
	width := 0
	for _, c := range u.commands {
		width = max(width, textWidth(c.synopsis()))
	}
	for _, c := range u.commands {
		pad := strings.Repeat(" ", width-textWidth(c.synopsis()))
		u.pane.addLocal(kindSystem, c.synopsis()+pad+"  "+c.help)
	}
	u.pane.addLocal(kindSystem, "keys: Enter send · Alt+Enter new line · Ctrl+N/P or Alt+Down/Up switch chat · "+
		"Alt+1..9 chat by number · Alt+A next unread · PgUp/PgDn scroll · Alt+End newest · Up/Down recall · Tab complete")
	return nil
}

func (u *UI) cmdQuit(args string) error {
	if args != "" {
		return errUsage
	}
	u.Stop()
	return nil
}

func (u *UI) cmdIgnore(args string) error {
	if args == "" {
		keys := u.session.Ignored()
		if len(keys) == 0 {
			u.showNotice("nobody is ignored", false)
			return nil
		}
		u.pane.addLocal(kindSystem, "ignored: "+plural(len(keys), "key"))
		for _, k := range keys {
			u.pane.addLocal(kindRaw, k)
		}
		return nil
	}
	key, err := u.session.Ignore(u.senderKey(args))
	if err != nil {
		return err
	}
	u.pane.setIgnored(u.session.Ignored())
	if u.chatIndex(key) >= 0 {
		u.removeChat(key)
	}
	u.reloadPane()
	u.showNotice("ignoring "+shortKey(key)+"; /unignore "+shortKey(key)+" to undo", false)
	return nil
}

func (u *UI) cmdUnignore(args string) error {
	if args == "" {
		return errUsage
	}
	target := args
	// An ignored key may be given in its short form, as /ignore showed it.
	for _, k := range u.session.Ignored() {
		if strings.EqualFold(args, shortKey(k)) {
			target = k
		}
	}
	key, err := u.session.Unignore(target)
	if err != nil {
		return err
	}
	u.pane.setIgnored(u.session.Ignored())
	u.reloadPane()
	u.showNotice("no longer ignoring "+shortKey(key), false)
	return nil
}

// senderKey turns a name as the pane shows it (a sender's name or short key)
// into that sender's key; anything else is passed on for the session to
// resolve as a key or contact name.
func (u *UI) senderKey(name string) string {
	for _, it := range u.pane.items {
		if it.kind == kindMessage && !it.msg.Outgoing &&
			(strings.EqualFold(it.name, name) || strings.EqualFold(shortKey(it.msg.Sender), name)) {
			return it.msg.Sender
		}
	}
	return name
}

// reloadPane shows the current chat again, for a change to who is hidden.
func (u *UI) reloadPane() {
	if u.current != "" {
		u.pane.load(u.current, 0)
	}
}
