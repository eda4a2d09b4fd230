package session

// Message returns one stored message by its id (0x-prefixed hex), and
// false when there is none.
func (m *Manager) Message(id string) (Message, bool, error) {
	raw, err := parseID(id)
	if err != nil {
		return Message{}, false, err
	}
	sm, ok, err := m.cfg.Store.Message(raw)
	if err != nil || !ok {
		return Message{}, ok, err
	}
	return m.toMessage(sm), true, nil
}
