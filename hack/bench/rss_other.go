//go:build !linux

package main

// watchRSS is not measured outside Linux.
func watchRSS(int, <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	out <- 0
	return out
}
