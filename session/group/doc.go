// Package group owns the membership of a private group chat (PROTOCOL.md §8):
// the signature over an update of membership events, the recovery of its
// author, the chat id rule, the merge of two logs and the fold of a log into
// the group's name, members and admins, with every rule of who may do what.
//
// Membership is never stored as mutable truth: it is whatever the fold of
// the signed log gives, so two members holding the same updates agree, and
// a forged event changes nothing. Everything here is pure computation: no
// I/O, no goroutines, no state beyond the values passed in.
package group
