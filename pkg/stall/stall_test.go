package stall

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// scripted answers each request with the next status (0: a reset).
type scripted struct{ next func() int }

func (s scripted) RoundTrip(*http.Request) (*http.Response, error) {
	code := s.next()
	if code == 0 {
		return nil, errors.New("read: connection reset by peer")
	}
	h := http.Header{}
	if code == http.StatusTooManyRequests {
		h.Set("Retry-After", "1")
	}
	return &http.Response{StatusCode: code, Header: h, Body: http.NoBody}, nil
}

// drive sends a request every gap until ctx ends or for runs requests,
// answering with code(i).
func drive(ctx context.Context, w *Watch, gap time.Duration, runs int, code func(i int) int) {
	i := 0
	rt := w.Wrap(scripted{next: func() int { i++; return code(i) }})
	for range runs {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://127.0.0.1:6443/api", nil)
		if resp, err := rt.RoundTrip(req); err == nil {
			resp.Body.Close()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(gap):
		}
	}
}

func TestFailuresLongerThanTheTimeoutEndTheRun(t *testing.T) {
	w := New()
	ctx, stop := w.Start(context.Background(), 50*time.Millisecond)
	defer stop()
	drive(ctx, w, 5*time.Millisecond, 2000, func(int) int { return http.StatusTooManyRequests })
	var s *Stalled
	if !errors.As(context.Cause(ctx), &s) {
		t.Fatalf("cause %v, want *Stalled", context.Cause(ctx))
	}
	if got := s.Error(); !strings.Contains(got, "429 Too Many Requests (Retry-After 1s)") || !strings.Contains(got, "50ms") {
		t.Errorf("message %q: want the last answer and the timeout", got)
	}
	if w.Fired() != s {
		t.Errorf("Fired() = %v, want the cause %v", w.Fired(), s)
	}
}

func TestAnAnswerRestartsTheClock(t *testing.T) {
	w := New()
	ctx, stop := w.Start(context.Background(), 60*time.Millisecond)
	defer stop()
	// Resets for about 40ms, then one answer, again and again: never 60ms
	// without an answer.
	drive(ctx, w, 4*time.Millisecond, 100, func(i int) int {
		if i%10 == 0 {
			return http.StatusOK
		}
		return 0
	})
	if err := context.Cause(ctx); err != nil || w.Fired() != nil {
		t.Fatalf("cancelled (%v, %v) though the server answered every 40ms", err, w.Fired())
	}
}

func TestSlowAnswersAndErrorStatusesAreAnswers(t *testing.T) {
	w := New()
	ctx, stop := w.Start(context.Background(), 20*time.Millisecond)
	defer stop()
	// Far apart, and statuses that are answers (a check reports them).
	codes := []int{http.StatusOK, http.StatusInternalServerError, http.StatusForbidden, http.StatusNotFound, http.StatusOK}
	drive(ctx, w, 40*time.Millisecond, len(codes), func(i int) int { return codes[i-1] })
	if err := context.Cause(ctx); err != nil {
		t.Fatalf("cancelled (%v) though every request got an answer", err)
	}
}

func TestStoppedWatchObservesNothing(t *testing.T) {
	w := New()
	ctx, stop := w.Start(context.Background(), 10*time.Millisecond)
	stop()
	if !errors.Is(context.Cause(ctx), context.Canceled) {
		t.Fatalf("stop: cause %v", context.Cause(ctx))
	}
	// Failures after the run are not this run's: nothing to cancel, no panic.
	drive(context.Background(), w, time.Millisecond, 30, func(int) int { return 0 })
}
