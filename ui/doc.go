// Package ui owns hush's terminal user interface: the chat list, the message
// pane, the input line and the status line, the key bindings and the slash
// commands.
//
// One goroutine (tview's event loop) owns every widget. A pump goroutine reads
// session events, batches them and hands each batch to the loop; redraw
// requests from other goroutines are coalesced through a capacity-1 channel so
// a burst of network events costs a handful of redraws, not one per event.
//
// The UI depends on the session only through the small [Session] interface,
// and on the terminal only through the injected tcell.Screen, so tests drive it
// with a fake session and a simulation screen.
package ui
