package progress

import (
	"bytes"
	"testing"
)

// Logs and pipes get only what was printed, never bar drawing.
func TestNoBarsOffTerminal(t *testing.T) {
	var out bytes.Buffer
	b := NewBatch(&out, true, 3, 300)
	update, finish := b.Job("clip.mp4", "frames", 100)
	update(50, 100)
	b.Fprintf(&out, "a.jpg -> out/a.jpg\n")
	finish()
	b.Done(100)
	b.Wait()
	if got := out.String(); got != "a.jpg -> out/a.jpg\n" {
		t.Fatalf("output %q, want only the printed line", got)
	}
	if IsTerminal(&out) {
		t.Error("a buffer is not a terminal")
	}
}

// A nil *Batch is a valid "no progress" value.
func TestNilBatch(t *testing.T) {
	var b *Batch
	b.Done(1)
	var out bytes.Buffer
	b.Fprintf(&out, "x")
	if out.String() != "x" {
		t.Errorf("a nil Batch printed %q", out.String())
	}
	u, f := b.Job("x", "frames", 1)
	u(1, 1)
	f()
	b.Wait()
}

func TestHuman(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 3 << 20: "3.0 MiB", 5 << 30: "5.0 GiB"} {
		if got := human(n); got != want {
			t.Errorf("human(%d) = %q, want %q", n, got, want)
		}
	}
}
