// Package progress draws progress bars for batches (files and bytes) and for
// long single jobs (video frames) on a terminal, and nothing otherwise, so
// that logs and pipes get only the final summary.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// IsTerminal reports whether w is a character device (a terminal).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Batch shows one bar for a batch of files: files done of the total, bytes,
// rate and ETA, and a transient bar per long job. A nil *Batch, or one made
// for a writer that is not a terminal, draws nothing; every method is safe
// to call on it.
type Batch struct {
	p     *mpb.Progress
	files *mpb.Bar
	mu    sync.Mutex
	w     io.Writer
	bytes atomic.Int64
}

// NewBatch starts drawing on w when on is set and w is a terminal.
// totalBytes is the size of all inputs (0 if unknown).
func NewBatch(w io.Writer, on bool, files int, totalBytes int64) *Batch {
	if !on || !IsTerminal(w) {
		return &Batch{w: w}
	}
	b := &Batch{w: w}
	b.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(200*time.Millisecond))
	bytesDone := decor.Any(func(decor.Statistics) string {
		s := human(b.bytes.Load())
		if totalBytes > 0 {
			s += " of " + human(totalBytes)
		}
		return s
	}, decor.WCSyncSpace)
	b.files = b.p.AddBar(int64(files),
		mpb.PrependDecorators(decor.Name("files "), decor.CountersNoUnit("%d/%d"), bytesDone),
		mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Name(" ETA "),
			decor.AverageETA(decor.ET_STYLE_GO)),
	)
	return b
}

// Done counts one file of size bytes as finished.
func (b *Batch) Done(bytes int64) {
	if b == nil || b.files == nil {
		return
	}
	b.bytes.Add(bytes)
	b.files.Increment()
}

// Fprintf writes a message meant for w: above the bars when they are drawn
// (on a terminal stdout and stderr are the same screen, and the bars must
// not be torn), else straight to w. A nil *Batch writes to w.
func (b *Batch) Fprintf(w io.Writer, format string, args ...any) {
	if b == nil || b.p == nil {
		fmt.Fprintf(w, format, args...)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(b.p, format, args...)
}

// Job adds a transient bar for one long job of total units (video frames)
// named name, and returns the function that reports progress to it and a
// function that removes it. On no terminal both do nothing.
func (b *Batch) Job(name, unit string, total int64) (update func(done, total int64), finish func()) {
	if b == nil || b.p == nil {
		return func(int64, int64) {}, func() {}
	}
	bar := b.p.AddBar(total,
		mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Name(name+" ", decor.WC{W: len(name) + 1, C: decor.DindentRight}),
			decor.CountersNoUnit("%d/%d "+unit)),
		mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Name(" ETA "),
			decor.AverageETA(decor.ET_STYLE_GO)),
	)
	var last int64
	var mu sync.Mutex
	update = func(done, t int64) {
		mu.Lock()
		defer mu.Unlock()
		if t > 0 && t != total {
			bar.SetTotal(t, false)
			total = t
		}
		if done > last {
			bar.IncrInt64(done - last)
			last = done
		}
	}
	finish = func() {
		mu.Lock()
		defer mu.Unlock()
		bar.SetTotal(-1, true) // complete and remove, whatever was counted
	}
	return update, finish
}

// Wait finishes drawing. Call it once, after every Done.
func (b *Batch) Wait() {
	if b == nil || b.p == nil {
		return
	}
	b.files.SetTotal(-1, true)
	b.p.Wait()
}

// human formats a byte count with a binary unit: "512 B", "3.4 MiB".
func human(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if f < 1024 {
			break
		}
		f, unit = f/1024, u
	}
	return fmt.Sprintf("%.1f %s", f, unit)
}
