package probe

import "sync"

// Group runs functions concurrently, at most limit at a time, and waits for
// them: probes are exec streams through the API server and the kubelet, and
// a diagnosis should not open dozens at once.
type Group struct {
	wg  sync.WaitGroup
	sem chan struct{}
}

// NewGroup returns a Group of at most limit concurrent functions.
func NewGroup(limit int) *Group {
	if limit < 1 {
		limit = 1
	}
	return &Group{sem: make(chan struct{}, limit)}
}

// Go runs f when a slot is free.
func (g *Group) Go(f func()) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		g.sem <- struct{}{}
		defer func() { <-g.sem }()
		f()
	}()
}

// Wait waits for every function started.
func (g *Group) Wait() { g.wg.Wait() }
