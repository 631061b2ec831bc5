// Command loadtest measures `aigcmark serve` under load: it makes a 1 MB
// JPEG labeled by `aigcmark label`, starts the server binary on loopback,
// has N clients POST the picture to /v1/verify for a fixed time, samples the
// server's resident memory every second, and prints requests/s, latency
// percentiles, errors and the RSS over time. `make loadtest` runs it with 32
// clients for 60 s.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const token = "loadtest-token-0123456789abcdef"

func main() {
	bin := flag.String("bin", "bin/aigcmark", "the aigcmark binary")
	clients := flag.Int("clients", 32, "concurrent clients")
	dur := flag.Duration("duration", 60*time.Second, "how long to send requests")
	size := flag.Int("size", 1_000_000, "approximate JPEG size in bytes")
	flag.Parse()
	if err := run(*bin, *clients, *dur, *size); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(bin string, clients int, dur time.Duration, size int) error {
	dir, err := os.MkdirTemp("", "aigcmark-loadtest-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pic, err := makeJPEG(dir, bin, size)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(pic)
	if err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "serve", "--listen", addr, "--max-body", "16MiB")
	cmd.Env = append(os.Environ(), "AIGCMARK_TOKENS="+token)
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	base := "http://" + addr
	if err := waitHealthy(base, exited); err != nil {
		return err
	}

	// RSS every second while the load runs.
	var rss []int64
	var rssMu sync.Mutex
	stopRSS := make(chan struct{})
	rssDone := make(chan struct{})
	go func() {
		defer close(rssDone)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			if kb, err := vmRSS(cmd.Process.Pid); err == nil {
				rssMu.Lock()
				rss = append(rss, kb)
				rssMu.Unlock()
			}
			select {
			case <-t.C:
			case <-stopRSS:
				return
			}
		}
	}()

	fmt.Printf("loadtest: %d clients POST a %d-byte labeled JPEG to %s/v1/verify for %v\n", clients, len(data), base, dur)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 2 * time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	errs := map[string]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				err := verifyOnce(client, base, data)
				d := time.Since(t0)
				if ctx.Err() != nil && err != nil {
					return // cut off at the end
				}
				mu.Lock()
				if err != nil {
					errs[err.Error()]++
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stopRSS)
	<-rssDone
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			fmt.Printf("serve exited: %v\n", err)
		}
	case <-time.After(30 * time.Second):
		fmt.Println("serve did not stop within 30 s of SIGTERM")
	}

	slices.Sort(lat)
	nerr := 0
	for _, n := range errs {
		nerr += n
	}
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("requests: %d ok, %d errors in %.1f s: %.1f requests/s (%.1f MB/s)\n", len(lat), nerr, elapsed.Seconds(),
		float64(len(lat))/elapsed.Seconds(), float64(len(lat))*float64(len(data))/elapsed.Seconds()/1e6)
	fmt.Printf("latency: p50 %v, p90 %v, p99 %v, max %v\n", pct(0.50).Round(time.Millisecond), pct(0.90).Round(time.Millisecond),
		pct(0.99).Round(time.Millisecond), pct(1).Round(time.Millisecond))
	for e, n := range errs {
		fmt.Printf("error x%d: %s\n", n, e)
	}
	var peak int64
	var series []string
	for i, kb := range rss {
		peak = max(peak, kb)
		if i%5 == 0 || i == len(rss)-1 {
			series = append(series, fmt.Sprintf("%ds:%dMB", i, kb/1024))
		}
	}
	fmt.Printf("server RSS: peak %d MB; over time %s\n", peak/1024, strings.Join(series, " "))
	if nerr > 0 {
		return fmt.Errorf("%d request(s) failed", nerr)
	}
	return nil
}

// verifyOnce posts the picture and checks the verdict.
func verifyOnce(c *http.Client, base string, data []byte) error {
	req, err := http.NewRequest("POST", base+"/v1/verify", bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "image/jpeg")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, body)
	}
	var r struct {
		Verdict *struct{ Label string }
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return err
	}
	if r.Verdict == nil || r.Verdict.Label != "1" {
		return fmt.Errorf("verdict %+v, want 1", r.Verdict)
	}
	return nil
}

// makeJPEG writes a noisy picture of about size bytes and labels it with
// the binary (metadata only).
func makeJPEG(dir, bin string, size int) (string, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	w := 1024
	var buf bytes.Buffer
	for range 8 {
		h := w * 3 / 4
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				n := uint8(rng.IntN(48))
				img.Set(x, y, color.RGBA{uint8(x*255/w) + n, uint8(y*255/h) + n, 128 + n, 255})
			}
		}
		buf.Reset()
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
			return "", err
		}
		if r := float64(buf.Len()) / float64(size); r > 0.95 && r < 1.05 {
			break
		} else {
			w = int(float64(w) / sqrt(r))
		}
	}
	raw := filepath.Join(dir, "raw.jpg")
	if err := os.WriteFile(raw, buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "labeled")
	cmd := exec.Command(bin, "label", "--producer", "001191110108MA01KP2T5U10000", "--explicit", "none",
		"--audit-log", filepath.Join(dir, "audit.jsonl"), "--recipient", "loadtest", "--quiet", "--out", out, raw)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("labeling the picture: %v\n%s", err, b)
	}
	return filepath.Join(out, "raw.jpg"), nil
}

func sqrt(x float64) float64 {
	z := x
	for range 20 {
		z = (z + x/z) / 2
	}
	return z
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitHealthy(base string, exited <-chan error) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("serve exited: %v", err)
		default:
		}
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("serve not healthy after 15 s")
}

// vmRSS returns the resident set size of pid in KiB.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS")
}
