package ui

import (
	"hash/fnv"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/uniseg"
)

// maxTextBytes bounds how much of one message the pane lays out; a hostile
// peer could otherwise make every redraw wrap megabytes of text.
const maxTextBytes = 64 << 10

// sanitizeText makes untrusted text safe to draw. Control characters would
// move the terminal cursor or change its modes, and bidi overrides would make
// the text lie about its order, so they are replaced; tabs become spaces and
// line endings become '\n' (or a space when multiline is false).
func sanitizeText(s string, multiline bool) string {
	truncated := false
	if len(s) > maxTextBytes {
		s = strings.ToValidUTF8(s[:maxTextBytes], "")
		truncated = true
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			fallthrough
		case r == '\n':
			if multiline {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		case r == '\t':
			b.WriteString("    ")
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == utf8.RuneError:
			b.WriteRune('\uFFFD')
		case r == 0x2028, r == 0x2029:
			// Line and paragraph separators: terminals and the wrapper
			// disagree on whether they break, so they are spaces here.
			b.WriteByte(' ')
		case invisibleFormat(r):
			// Bidi marks, embeddings and isolates, and other invisible
			// format characters: dropped.
		default:
			b.WriteRune(r)
		}
	}
	if truncated {
		b.WriteString(" … (truncated)")
	}
	return b.String()
}

// invisibleFormat reports the format characters (Unicode Cf) that are
// dropped from shown text: the bidi controls (LRM, RLM, ALM, the embeddings,
// overrides and isolates), which can make a line read in another order than
// it was written, and the rest, which draw nothing. Zero-width joiners and
// the tag characters stay: emoji sequences and flags are built with them.
func invisibleFormat(r rune) bool {
	switch {
	case r < 0xad:
		return false
	case r == 0x200c, r == 0x200d, r >= 0xe0020 && r <= 0xe007f:
		return false
	}
	return unicode.Is(unicode.Cf, r)
}

// firstLine returns the first line of s, for one-line notices.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// lineRange is one wrapped line: the bytes [start, end) of the wrapped string.
type lineRange struct{ start, end int }

// wrapText breaks s into lines at most width cells wide. It breaks at Unicode
// line-break opportunities, lets spaces hang past the edge, breaks words that
// are longer than a line, and always breaks at '\n'. It returns at least one
// line, even for empty text.
func wrapText(s string, width int) []lineRange {
	if width < 1 {
		width = 1
	}
	var lines []lineRange
	lineStart, pos, lineWidth := 0, 0, 0
	breakPos, breakWidth := -1, 0
	state := -1
	rest := s
	for rest != "" {
		var cluster string
		var boundaries int
		cluster, rest, boundaries, state = uniseg.StepString(rest, state)
		w := boundaries >> uniseg.ShiftWidth
		if cluster == "\n" {
			lines = append(lines, lineRange{lineStart, pos})
			pos += len(cluster)
			lineStart, lineWidth, breakPos = pos, 0, -1
			continue
		}
		if cluster == " " && lineWidth+w > width {
			pos += len(cluster)
			lineWidth += w
			breakPos, breakWidth = pos, lineWidth
			continue
		}
		for lineWidth > 0 && lineWidth+w > width {
			if breakPos > lineStart {
				lines = append(lines, lineRange{lineStart, breakPos})
				lineStart = breakPos
				lineWidth -= breakWidth
			} else {
				lines = append(lines, lineRange{lineStart, pos})
				lineStart, lineWidth = pos, 0
			}
			breakPos = -1
		}
		pos += len(cluster)
		lineWidth += w
		if boundaries&uniseg.MaskLine == uniseg.LineCanBreak {
			breakPos, breakWidth = pos, lineWidth
		}
	}
	return append(lines, lineRange{lineStart, pos})
}

// countRows is how many rows text takes when wrapped width cells wide,
// counting no further than limit.
func countRows(text string, width, limit int) int {
	return min(len(wrapText(text, width)), limit)
}

// textWidth is the number of cells s takes on screen.
func textWidth(s string) int { return uniseg.StringWidth(s) }

// truncateText shortens s to at most width cells, ending it with "…" when
// something was cut.
func truncateText(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if textWidth(s) <= width {
		return s
	}
	var b strings.Builder
	used, state := 0, -1
	for s != "" {
		var cluster string
		var boundaries int
		cluster, s, boundaries, state = uniseg.StepString(s, state)
		w := boundaries >> uniseg.ShiftWidth
		if used+w > width-1 {
			break
		}
		b.WriteString(cluster)
		used += w
	}
	b.WriteString("…")
	return b.String()
}

// drawText draws s at (x, y), clipped to maxWidth cells, and returns the
// number of cells used. Wide characters that do not fit are left out.
func drawText(screen tcell.Screen, x, y, maxWidth int, s string, style tcell.Style) int {
	used, state := 0, -1
	for s != "" && used < maxWidth {
		var cluster string
		var boundaries int
		cluster, s, boundaries, state = uniseg.StepString(s, state)
		w := boundaries >> uniseg.ShiftWidth
		if w == 0 {
			continue
		}
		if used+w > maxWidth {
			break
		}
		runes := []rune(cluster)
		// Fill the trailing cells of a wide character first, as tview does,
		// so that the character itself is the last thing written.
		for off := w - 1; off > 0; off-- {
			screen.SetContent(x+used+off, y, ' ', nil, style)
		}
		screen.SetContent(x+used, y, runes[0], runes[1:], style)
		used += w
	}
	return used
}

// fillRow paints width cells from (x, y) with spaces in style.
func fillRow(screen tcell.Screen, x, y, width int, style tcell.Style) {
	for i := 0; i < width; i++ {
		screen.SetContent(x+i, y, ' ', nil, style)
	}
}

// senderColor picks a stable colour for a sender key, so a person keeps the
// same colour across chats and restarts. The palette is xterm-256 colours that
// read well on dark and light backgrounds; red is left out because it means
// "error" here.
func senderColor(key string) tcell.Color {
	palette := [...]tcell.Color{
		tcell.PaletteColor(32), tcell.PaletteColor(34), tcell.PaletteColor(37),
		tcell.PaletteColor(64), tcell.PaletteColor(67), tcell.PaletteColor(70),
		tcell.PaletteColor(97), tcell.PaletteColor(98), tcell.PaletteColor(130),
		tcell.PaletteColor(133), tcell.PaletteColor(136), tcell.PaletteColor(166),
		tcell.PaletteColor(172), tcell.PaletteColor(26), tcell.PaletteColor(29),
		tcell.PaletteColor(61),
	}
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(key)))
	return palette[h.Sum32()%uint32(len(palette))]
}

// shortKey abbreviates a 0x04… key the way the session does for names.
func shortKey(key string) string {
	if len(key) <= 14 {
		return key
	}
	return key[:6] + "…" + key[len(key)-4:]
}

// itoa formats an int.
func itoa(n int) string { return strconv.Itoa(n) }

// plural formats a count with its noun, adding "s" unless it is one.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// fitName shortens a sender name to width. A name of several words loses
// the letters of its first words before its last is cut ("Spanish Tasty
// Chameleon" → "S. T. Chameleon"): the words of a three-word name are
// common, and the animal at the end tells most of them apart.
func fitName(name string, width int) string {
	if textWidth(name) <= width {
		return name
	}
	words := strings.Fields(name)
	for i := 0; i < len(words)-1; i++ {
		r := []rune(words[i])
		if len(r) > 1 && textWidth(words[i]) > 2 {
			words[i] = string(r[0]) + "."
		}
		if short := strings.Join(words, " "); textWidth(short) <= width {
			return short
		}
	}
	return truncateText(strings.Join(words, " "), width)
}
