package ui

import (
	"net"
	"net/url"

	"github.com/gdamore/tcell/v2"
)

// cmdWhoami shows who we are on a sheet: the key on a line of its own at
// column 0, so selecting it in the terminal copies the whole key.
func (u *UI) cmdWhoami(args string) error {
	if args != "" {
		return errUsage
	}
	var lines []sheetLine
	if u.self.Name != "" {
		lines = append(lines, sheetLine{"You are " + u.self.Name + " (your three-word name, the same in every Status client)", tcell.StyleDefault.Bold(true)})
		if u.self.DisplayName != "" {
			lines = append(lines, sheetLine{"Your contacts see you as ~" + sanitizeText(u.self.DisplayName, false) + " (/name)", tcell.StyleDefault})
		}
		lines = append(lines, sheetLine{"", styleDim()})
	}
	lines = append(lines, []sheetLine{
		{"Your public key (hush whoami prints it too):", styleDim()},
		{u.self.PublicKey, tcell.StyleDefault},
		{"", styleDim()},
	}...)
	switch enode, why := reachableEnode(u.self.Enode); {
	case enode != "":
		lines = append(lines, sheetLine{"Your node (" + why + "):", styleDim()}, sheetLine{enode, tcell.StyleDefault})
	default:
		lines = append(lines, sheetLine{"Your node: " + why, styleDim()})
	}
	if u.self.Installation != "" {
		lines = append(lines, sheetLine{"", styleDim()}, sheetLine{"Installation " + u.self.Installation, styleDim()})
	}
	// Terminals that take OSC 52 (xterm, kitty, iTerm2; tmux with
	// set-clipboard on) put the key on the clipboard; elsewhere this does
	// nothing and the line above is there to select.
	u.screen.SetClipboard([]byte(u.self.PublicKey))
	u.showSheet(newSheet("whoami", lines, "Esc closes · the key is also offered to the terminal's clipboard (OSC 52)"))
	return nil
}

// reachableEnode returns the enode URL others can dial, with a note on who
// can, or "" and why there is none: a node that does not listen shows port
// 0, which no one can dial.
func reachableEnode(raw string) (enode, why string) {
	if raw == "" {
		return "", "no node"
	}
	parsed, err := url.Parse(raw)
	if err != nil || parsed.Port() == "" || parsed.Port() == "0" {
		return "", "it only dials out, so peers cannot dial it; start hush with --listen ADDR to accept peers"
	}
	if ip := net.ParseIP(parsed.Hostname()); ip != nil && ip.IsLoopback() {
		return raw, "dialable from this machine; others use an address of it they can reach"
	}
	return raw, "peers can dial it here"
}
