// Package collect helps the loops that group work for one transaction: the
// ping recorder, the probe results writer and the outbox's outcome writer.
package collect

// Ready appends to b what ch holds right now, without waiting, until b
// holds max items or ch is empty or closed. It is how a loop that has taken
// one item gathers the others already waiting, so that one commit serves
// them all.
func Ready[T any](ch <-chan T, b []T, max int) []T {
	for len(b) < max {
		select {
		case v, ok := <-ch:
			if !ok {
				return b
			}
			b = append(b, v)
		default:
			return b
		}
	}
	return b
}
