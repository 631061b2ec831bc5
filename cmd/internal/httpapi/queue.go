package httpapi

import (
	"context"
	"sync"
	"sync/atomic"
)

// Queue is a bounded queue of work items processed by a fixed number of
// workers. Offer refuses rather than blocks or grows when the queue is
// full; Shutdown stops accepting, lets the workers finish what was queued
// until a deadline, and hands back what they could not.
type Queue[T any] struct {
	work func(ctx context.Context, item T)

	mu     sync.Mutex
	ch     chan T
	closed bool

	ctx     context.Context // the workers' context, cancelled at the deadline
	cancel  context.CancelFunc
	stopped atomic.Bool // the deadline passed: start nothing more
	busy    atomic.Int64
	wg      sync.WaitGroup

	leftMu sync.Mutex
	left   []T
}

// NewQueue starts workers goroutines (at least one) calling work for each
// item offered, holding at most capacity (at least one) items waiting.
func NewQueue[T any](capacity, workers int, work func(ctx context.Context, item T)) *Queue[T] {
	capacity, workers = max(capacity, 1), max(workers, 1)
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue[T]{work: work, ch: make(chan T, capacity), ctx: ctx, cancel: cancel}
	for range workers {
		q.wg.Add(1)
		go q.worker()
	}
	return q
}

func (q *Queue[T]) worker() {
	defer q.wg.Done()
	for item := range q.ch {
		if q.stopped.Load() {
			q.handBack(item)
			continue
		}
		q.busy.Add(1)
		q.work(q.ctx, item)
		q.busy.Add(-1)
		if q.ctx.Err() != nil {
			q.handBack(item) // interrupted by the deadline
		}
	}
}

func (q *Queue[T]) handBack(item T) {
	q.leftMu.Lock()
	q.left = append(q.left, item)
	q.leftMu.Unlock()
}

// Offer queues all items or none: it returns false when they do not all
// fit or the queue is shut down.
func (q *Queue[T]) Offer(items ...T) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || cap(q.ch)-len(q.ch) < len(items) {
		return false
	}
	for _, it := range items {
		q.ch <- it // cannot block: only Offer sends, under mu
	}
	return true
}

// Waiting returns the number of items queued and not started.
func (q *Queue[T]) Waiting() int { return len(q.ch) }

// Busy returns the number of items being processed.
func (q *Queue[T]) Busy() int { return int(q.busy.Load()) }

// Cap returns the most items that can wait.
func (q *Queue[T]) Cap() int { return cap(q.ch) }

// Shutdown stops accepting items and waits until the workers have
// processed every queued item or ctx is done. In the second case the
// items in progress see their context cancelled and, with those not
// started, are returned: the work that was not done. It must be called
// once.
func (q *Queue[T]) Shutdown(ctx context.Context) []T {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		q.stopped.Store(true)
		q.cancel()
		<-done
	}
	q.cancel()
	q.leftMu.Lock()
	defer q.leftMu.Unlock()
	return q.left
}
