// Package nsclose lets packages of this module run code when a namespace
// handle (*netns.NetNS) is closed, without adding anything to netns's
// public API: netns calls Closed from Close, and the rtnetlink connection
// cache registers hooks with Add to close the sockets it keeps in that
// namespace (a socket would otherwise keep a deleted namespace, and its
// interfaces, alive).
package nsclose

import "sync"

var (
	mu    sync.Mutex
	hooks = map[any][]func(){}
)

// Add registers fn to run once when the handle key is closed. Register
// first and then check whether the handle is still open: a hook added
// after Closed ran is never called.
func Add(key any, fn func()) {
	mu.Lock()
	hooks[key] = append(hooks[key], fn)
	mu.Unlock()
}

// Closed runs and forgets the hooks of key. netns calls it after closing
// the handle's descriptor.
func Closed(key any) {
	mu.Lock()
	fns := hooks[key]
	delete(hooks, key)
	mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}
