//go:build !linux

package main

// watchRSS is not measured outside Linux.
func watchRSS(int, <-chan struct{}) <-chan rss {
	out := make(chan rss, 1)
	out <- rss{}
	return out
}
