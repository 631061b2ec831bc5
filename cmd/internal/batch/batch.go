// Package batch runs one piece of work per input on a bounded number of
// goroutines and hands the results back in input order, so that output is
// deterministic however the work interleaves.
package batch

import (
	"context"
	"sync"
)

// Run calls work(ctx, i) for i in [0, n) on at most jobs goroutines and
// emit(i, result) for each i in increasing order, from the calling
// goroutine, as soon as every earlier result has been emitted. When ctx is
// cancelled no new work starts; the work already started is still emitted.
func Run[R any](ctx context.Context, n, jobs int, work func(ctx context.Context, i int) R, emit func(i int, r R)) {
	if jobs < 1 {
		jobs = 1
	}
	type result struct {
		i int
		r R
	}
	results := make(chan result)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < jobs && w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results <- result{i, work(ctx, i)}
			}
		}()
	}
	go func() {
		defer close(next)
		for i := 0; i < n; i++ {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	pending := map[int]R{}
	want := 0
	for res := range results {
		pending[res.i] = res.r
		for {
			r, ok := pending[want]
			if !ok {
				break
			}
			delete(pending, want)
			emit(want, r)
			want++
		}
	}
}
