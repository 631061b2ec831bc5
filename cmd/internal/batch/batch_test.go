package batch

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunEmitsInOrderWithBoundedConcurrency(t *testing.T) {
	var running, peak atomic.Int32
	var got []int
	Run(context.Background(), 50, 4, func(_ context.Context, i int) int {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(time.Duration(50-i) * 50 * time.Microsecond) // later inputs finish first
		running.Add(-1)
		return i * i
	}, func(i, r int) {
		if r != i*i {
			t.Errorf("result %d = %d", i, r)
		}
		got = append(got, i)
	})
	if len(got) != 50 {
		t.Fatalf("emitted %d of 50", len(got))
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("emitted out of order: %v", got)
		}
	}
	if p := peak.Load(); p > 4 {
		t.Fatalf("%d ran at once, limit 4", p)
	}
}

func TestRunStopsStartingWorkOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Int32
	emitted := 0
	Run(ctx, 1000, 2, func(ctx context.Context, i int) int {
		if started.Add(1) == 10 {
			cancel()
		}
		return i
	}, func(i, r int) { emitted++ })
	if s := started.Load(); s >= 1000 || int(s) != emitted {
		t.Fatalf("started %d, emitted %d", s, emitted)
	}
}
