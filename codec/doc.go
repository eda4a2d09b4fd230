// Package codec owns the bytes of a Status (2019) chat message and the small
// derivations around it: the transit payload format (the c4 record SR writes,
// every record SR could send on read), SR's receive checks, Whisper topics and
// bloom filters, symmetric keys from passwords, the message id, the Lamport
// clock rules, and public-key text forms.
//
// Everything here is pure computation over bytes and values: no I/O, no
// goroutines, no state. Payloads come from the network, so Decode treats its
// input as hostile: it returns an error for anything malformed and never
// panics.
package codec
