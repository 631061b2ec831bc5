package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// generateMixed makes the mixed batch the verify case reads: the bundled
// fixtures of every still-image, audio and text container (not video,
// whose per-file ffmpeg runs would dominate), labeled by bin with the
// explicit label and a signature, copied round-robin into n files in dir.
func generateMixed(ctx context.Context, bin, producer, signKey, work, dir string, n int) ([]string, int64, error) {
	src := filepath.Join(work, "mixed-labeled")
	var inputs []string
	for _, d := range []string{"jpeg", "png", "webp", "gif", "wav", "mp3", "flac", "ogg", "markdown"} {
		inputs = append(inputs, filepath.Join("fixtures", d))
	}
	args := append([]string{"label", "--producer", producer, "--quiet", "--sign-key", signKey, "--out", src}, inputs...)
	if out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput(); err != nil {
		return nil, 0, fmt.Errorf("labeling the fixtures: %v\n%s", err, out)
	}
	var labeled []string
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			labeled = append(labeled, p)
		}
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	if len(labeled) == 0 {
		return nil, 0, fmt.Errorf("no labeled fixtures in %s", src)
	}
	sort.Strings(labeled)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, err
	}
	var files []string
	var total int64
	for i := range n {
		from := labeled[i%len(labeled)]
		to := filepath.Join(dir, fmt.Sprintf("%04d-%s", i, filepath.Base(from)))
		b, err := os.ReadFile(from)
		if err != nil {
			return nil, 0, err
		}
		if err := os.WriteFile(to, b, 0o644); err != nil {
			return nil, 0, err
		}
		files = append(files, to)
		total += int64(len(b))
	}
	return files, total, nil
}

// checkVerified reads the JSON lines verify wrote to out/verify.jsonl:
// every file checked, case 1, the producer's signature valid.
func checkVerified(out string, n int) error {
	f, err := os.Open(filepath.Join(out, "verify.jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	seen := 0
	for sc.Scan() {
		var l struct {
			Path    string
			Verdict *struct{ Label string }
			Labels  []struct {
				Signatures []struct{ Field, Status string }
			}
			Error *string
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("verify output line %d: %w", seen+1, err)
		}
		seen++
		if l.Error != nil {
			return fmt.Errorf("%s: %s", l.Path, *l.Error)
		}
		if l.Verdict == nil || l.Verdict.Label != "1" || len(l.Labels) == 0 || l.Labels[0].Signatures[0].Status != "valid" {
			return fmt.Errorf("%s: not case 1 with a valid signature", l.Path)
		}
	}
	if err := sc.Err(); err != nil && err != io.EOF {
		return err
	}
	if seen != n {
		return fmt.Errorf("verify reported %d of %d files", seen, n)
	}
	return nil
}

// keygenSign writes a signing key pair under work and returns its prefix.
func keygenSign(ctx context.Context, bin, work string) (string, error) {
	prefix := filepath.Join(work, "bench-signer")
	if out, err := exec.CommandContext(ctx, bin, "keygen", "--sign", "--out", prefix).CombinedOutput(); err != nil {
		return "", fmt.Errorf("keygen --sign: %v\n%s", err, strings.TrimSpace(string(out)))
	}
	return prefix, nil
}
