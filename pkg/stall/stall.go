// Package stall ends a run when the API server stops answering: when every
// request for longer than the timeout (--request-timeout) has failed to get
// an answer, the run's context is cancelled with a Stalled cause that names
// the last failure.
//
// Per-request timeouts alone do not bound a run: client-go retries a request
// after a connection reset or a 429 with Retry-After up to ten times, and a
// diagnosis makes several requests in sequence, so a dead or throttling
// server could hold a run for many times the timeout. A whole-run deadline
// would cut slow but healthy runs instead. Watching for answers bounds what
// the user waits for, a server that does not answer, and nothing else.
package stall

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Stalled is the cause of a run cut because the API server gave no answer
// for Timeout.
type Stalled struct {
	Timeout time.Duration
	// Last is the last failure seen: a transport error or a status.
	Last error
}

func (s *Stalled) Error() string {
	return fmt.Sprintf("the API server gave no answer for %s (--request-timeout), last: %v", s.Timeout, s.Last)
}

func (s *Stalled) Unwrap() error { return s.Last }

// Watch observes the requests of one run. Its zero value is not usable:
// use New. Until Start, it observes nothing.
type Watch struct {
	mu      sync.Mutex
	timeout time.Duration
	cancel  context.CancelCauseFunc
	// failing is set from the start of the first request that failed
	// after the last answer.
	failing bool
	since   time.Time
	last    error
	timer   *time.Timer
	// fired is the cause the run was cancelled with, if it was.
	fired *Stalled
}

// New returns a Watch, idle until Start.
func New() *Watch { return &Watch{} }

// Start watches a run: the returned context is cancelled with a *Stalled
// cause once requests fail to get an answer for timeout. The CancelFunc
// stops the watch.
func (w *Watch) Start(parent context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	w.mu.Lock()
	w.timeout, w.cancel, w.failing, w.fired = timeout, cancel, false, nil
	w.mu.Unlock()
	return ctx, func() {
		w.mu.Lock()
		w.cancel = nil
		w.stopTimer()
		w.mu.Unlock()
		cancel(context.Canceled)
	}
}

// Wrap is a rest.Config WrapTransport: every request through rt is
// observed.
func (w *Watch) Wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripper{w: w, next: rt}
}

type roundTripper struct {
	w    *Watch
	next http.RoundTripper
}

// WrappedRoundTripper lets client-go reach the transport underneath, to
// cancel requests that time out.
func (r roundTripper) WrappedRoundTripper() http.RoundTripper { return r.next }

func (r roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := r.next.RoundTrip(req)
	switch {
	case err != nil && errors.Is(err, context.Canceled):
		// The run was stopped (by the user, or by this watch).
	case err != nil:
		r.w.failed(start, fmt.Errorf("%s %s: %w", req.Method, where(req), r.w.timedOut(start, err)))
	case noAnswer(resp.StatusCode):
		r.w.failed(start, fmt.Errorf("%s %s: %w", req.Method, where(req), &statusError{code: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}))
	default:
		r.w.answered()
	}
	return resp, err
}

// where is the request's URL without its query.
func where(req *http.Request) string {
	return req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
}

// noAnswer are the statuses of an API server that is up but not serving,
// which client-go retries (after Retry-After) rather than reports. Others,
// 500 and 504 included, are answers: they also come back when a kubelet
// behind the API server fails (logs, exec), which is a finding, not a
// server that stopped answering.
func noAnswer(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable
}

type statusError struct {
	code       int
	retryAfter string
}

func (e *statusError) Error() string {
	msg := fmt.Sprintf("%d %s", e.code, http.StatusText(e.code))
	if e.retryAfter != "" {
		msg += fmt.Sprintf(" (Retry-After %ss)", e.retryAfter)
	}
	return msg
}

// timedOut names a request cut by its own timeout: the transport only says
// "request canceled". The client's timer starts before this transport does,
// so the cut can come a moment before timeout has passed here: a margin
// keeps that from reading as another failure.
func (w *Watch) timedOut(start time.Time, err error) error {
	w.mu.Lock()
	timeout := w.timeout
	w.mu.Unlock()
	var ne net.Error
	if timeout > 0 && (time.Since(start) >= timeout-timeout/10 || (errors.As(err, &ne) && ne.Timeout())) {
		return fmt.Errorf("no answer within %s", timeout)
	}
	return err
}

func (w *Watch) failed(start time.Time, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cancel == nil {
		return
	}
	w.last = err
	if w.failing {
		return
	}
	w.failing, w.since = true, start
	w.timer = time.AfterFunc(time.Until(start.Add(w.timeout)), func() { w.fire(start) })
}

// Failing returns, while the requests of a run are failing, how long they
// have been failing as a *Stalled; nil once the server answers. A run that
// ends in an error meanwhile is explained by it, even when another timeout
// (client-go's own per call) ended the run a moment before the watch would.
func (w *Watch) Failing() *Stalled {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.failing || w.cancel == nil {
		return nil
	}
	return &Stalled{Timeout: time.Since(w.since).Round(time.Millisecond), Last: w.last}
}

// Fired returns the cause the running watch cancelled its run with, or nil.
func (w *Watch) Fired() *Stalled {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fired
}

func (w *Watch) answered() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.failing = false
	w.stopTimer()
}

// fire ends the run if the failures that began at since still go on: a
// timer of an earlier run of failures may fire late.
func (w *Watch) fire(since time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failing && w.since.Equal(since) && w.cancel != nil {
		w.fired = &Stalled{Timeout: w.timeout, Last: w.last}
		w.cancel(w.fired)
	}
}

func (w *Watch) stopTimer() {
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
}
