package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
)

// explicitLine is the explicit member of an inspect --json line.
type explicitLine struct {
	Path     string            `json:"path"`
	Labels   []json.RawMessage `json:"labels"`
	Error    *string           `json:"error"`
	Explicit *struct {
		Kind       string   `json:"kind"`
		Found      bool     `json:"found"`
		Position   *string  `json:"position"`
		Plate      *[4]int  `json:"plate"`
		Ink        *[4]int  `json:"ink"`
		TextHeight *float64 `json:"text_height"`
		Frames     []struct {
			T          float64  `json:"t"`
			Found      bool     `json:"found"`
			TextHeight *float64 `json:"text_height"`
		} `json:"frames"`
		Cues []struct {
			At      float64 `json:"at"`
			Pattern string  `json:"pattern"`
		} `json:"cues"`
		Prompt []string `json:"prompt"`
		Error  *string  `json:"error"`
	} `json:"explicit"`
}

func inspectExplicitJSON(t *testing.T, paths ...string) []explicitLine {
	t.Helper()
	_, stdout, stderr := runCLI(t, append([]string{"inspect", "--json"}, paths...)...)
	var out []explicitLine
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l explicitLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	if len(out) != len(paths) {
		t.Fatalf("%d lines for %d inputs\n%s\n%s", len(out), len(paths), stdout, stderr)
	}
	return out
}

// One pass by default: every kind of file gets its explicit label and the
// metadata label, and inspect measures the explicit one from the output.
func TestExplicitAndMetadataInOnePass(t *testing.T) {
	fixtures.NeedTool(t, "ffmpeg")
	out := t.TempDir()
	inputs := []string{
		fixtures.Path("jpeg/exif-icc-xmp.jpg"), fixtures.Path("png/text-chunks.png"),
		fixtures.Path("gif/animated.gif"), fixtures.Path("webp/lossy.webp"),
		fixtures.Path("mp4/faststart.mp4"), fixtures.Path("wav/pcm16.wav"),
		fixtures.Path("mp3/id3v23.mp3"), fixtures.Path("markdown/plain.md"),
	}
	for _, in := range inputs {
		if _, err := os.Stat(in); err != nil {
			t.Fatalf("fixture missing: %v", err)
		}
	}
	report := filepath.Join(out, "report.jsonl")
	args := append([]string{"label", "--producer", producer, "--report", report, "--position", "top-left", "--out", out}, inputs...)
	code, stdout, stderr := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var outs []string
	for _, in := range inputs {
		outs = append(outs, filepath.Join(out, filepath.Base(in)))
	}
	want := map[string]string{".jpg": "image", ".png": "image", ".gif": "image", ".webp": "image",
		".mp4": "video", ".wav": "audio", ".mp3": "audio", ".md": "text"}
	for _, r := range inspectExplicitJSON(t, outs...) {
		e := r.Explicit
		if r.Error != nil || len(r.Labels) != 1 || e == nil {
			t.Errorf("%s: error %v, %d labels, explicit %v", r.Path, r.Error, len(r.Labels), e)
			continue
		}
		if e.Kind != want[filepath.Ext(r.Path)] || !e.Found || e.Error != nil {
			t.Errorf("%s: explicit %+v", r.Path, *e)
			continue
		}
		switch e.Kind {
		case "image", "video":
			if *e.Position != "top-left" || *e.TextHeight < 0.05 {
				t.Errorf("%s: label at %s, height %.3f", r.Path, *e.Position, *e.TextHeight)
			}
		case "audio":
			if len(e.Cues) != 1 || e.Cues[0].Pattern != ".- .." || e.Cues[0].At > 1 {
				t.Errorf("%s: cues %+v, want the AI rhythm at the start", r.Path, e.Cues)
			}
		case "text":
			if len(e.Prompt) != 1 || e.Prompt[0] != "start" {
				t.Errorf("%s: prompt at %v", r.Path, e.Prompt)
			}
		}
		if e.Kind == "video" {
			var l struct {
				Location string `json:"location"`
			}
			json.Unmarshal(r.Labels[0], &l)
			if !strings.HasPrefix(l.Location, "moov/udta/meta") {
				t.Errorf("%s: metadata label in %s, want moov/udta/meta as GB 45438's video guide says", r.Path, l.Location)
			}
			if len(e.Frames) != 3 {
				t.Errorf("%s: %d frames checked, want 0, 1 and 1.9 s", r.Path, len(e.Frames))
			}
		}
	}
	// The report: one line per input with what was applied.
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("report has %d lines for %d inputs", len(lines), len(inputs))
	}
	for i, line := range lines {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"input", "output", "format", "kind", "applied", "produce_id", "duration_ms", "error"} {
			if _, ok := m[k]; !ok {
				t.Errorf("report line %d lacks %q: %s", i, k, line)
			}
		}
		var applied []string
		json.Unmarshal(m["applied"], &applied)
		if len(applied) != 2 || !strings.HasPrefix(applied[1], "metadata label") || string(m["error"]) != "null" {
			t.Errorf("report line %d: %s", i, line)
		}
	}
	// ffprobe still decodes the video and shows the metadata label.
	ffprobe := fixtures.NeedTool(t, "ffprobe")
	v := filepath.Join(out, "faststart.mp4")
	pb, err := exec.Command(ffprobe, "-v", "error", "-show_entries", "format_tags=AIGC", "-of", "default=nw=1:nk=1", v).CombinedOutput()
	if err != nil || !strings.Contains(string(pb), producer) {
		t.Errorf("ffprobe %s: %v %s", v, err, pb)
	}
}

// --explicit none is the lossless metadata-only path; the Measures allow
// it only with an audit log of who received the content.
func TestExplicitNoneNeedsAuditLog(t *testing.T) {
	out := t.TempDir()
	in := fixtures.Path("jpeg/plain.jpg")
	log := filepath.Join(out, "audit.jsonl")
	for _, args := range [][]string{{}, {"--audit-log", log}, {"--recipient", "user-42"}} {
		code, _, stderr := runCLI(t, append(append([]string{"label", "--producer", producer, "--explicit", "none", "--out", out}, args...), in)...)
		if code != exitUsage || !strings.Contains(stderr, "--audit-log FILE and --recipient") {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	// The second run hands the content to someone else: a new output,
	// and a second audit line.
	for _, who := range []string{"user-41", "user-42"} {
		code, _, stderr := runCLI(t, "label", "--producer", producer, "--explicit", "none", "--audit-log", log,
			"--recipient", who, "--out", filepath.Join(out, "o"), in)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("audit log has %d lines after two runs, want 2 (appended):\n%s", len(lines), b)
	}
	for i, line := range lines {
		var a auditLine
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatal(err)
		}
		if a.Time == "" || a.Input != in || a.Output != filepath.Join(out, "o", "plain.jpg") ||
			a.Producer != producer || len(a.ProduceID) != 32 || a.Recipient != fmt.Sprintf("user-%d", 41+i) {
			t.Errorf("audit line %s", line)
		}
	}
	// Metadata only: the pixels are those of the input.
	orig, _ := os.ReadFile(in)
	got, _ := os.ReadFile(filepath.Join(out, "o", "plain.jpg"))
	if len(got) <= len(orig) {
		t.Errorf("output %d bytes, input %d: no metadata added?", len(got), len(orig))
	}
	if r := inspectExplicitJSON(t, filepath.Join(out, "o", "plain.jpg"))[0]; r.Explicit == nil || r.Explicit.Found {
		t.Errorf("metadata-only output reports an explicit label: %+v", r.Explicit)
	}
	// The audit log belongs to --explicit none only.
	code, _, stderr := runCLI(t, "label", "--producer", producer, "--audit-log", log, "--out", out, in)
	if code != exitUsage {
		t.Errorf("--audit-log without --explicit none: exit %d: %s", code, stderr)
	}
}

func TestExplicitUsageErrors(t *testing.T) {
	out := t.TempDir()
	in := fixtures.Path("jpeg/plain.jpg")
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"text rule", []string{"--text", "Made by a machine"}, "generation element"},
		{"size", []string{"--size", "0.04"}, "0.05"},
		{"position", []string{"--position", "middle"}, "bottom-right"},
		{"duration", []string{"--explicit-duration", "1s"}, "2s"},
		{"audio cue", []string{"--audio-cue", "sometimes"}, "start"},
		{"cue none", []string{"--audio-cue", "none"}, "--voice-prompt"},
		{"prompt rule", []string{"--prompt", "hello"}, "AI element"},
		{"font", []string{"--font", filepath.Join(out, "missing.ttf")}, "missing.ttf"},
		{"explicit mode", []string{"--explicit", "some"}, "auto or none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"label", "--producer", producer, "--out", out}, tt.args...), in)
			code, stdout, stderr := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(stdout+stderr, tt.msg) {
				t.Fatalf("exit %d, want %d with %q:\n%s%s", code, exitUsage, tt.msg, stdout, stderr)
			}
		})
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("usage errors left files: %v", ents)
	}
}

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "wm.key")
	code, _, stderr := runCLI(t, "keygen", "--out", key)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	st, err := os.Stat(key)
	if err != nil || st.Size() != 32 || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, %v", st, err)
	}
	first, _ := os.ReadFile(key)
	code, _, stderr = runCLI(t, "keygen", "--out", key)
	if again, _ := os.ReadFile(key); code != exitFailed || !strings.Contains(stderr, "never overwritten") || string(again) != string(first) {
		t.Fatalf("second keygen over the same file: exit %d: %s", code, stderr)
	}
	other := filepath.Join(dir, "other.key")
	runCLI(t, "keygen", "--out", other)
	if b, _ := os.ReadFile(other); string(b) == string(first) {
		t.Fatal("two keys are equal")
	}
	if code, _, _ := runCLI(t, "keygen"); code != exitUsage {
		t.Fatalf("keygen without --out: exit %d", code)
	}
	os.Chmod(key, 0o644)
	if _, err := loadKeyFile(key); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("a world-readable key was accepted: %v", err)
	}
}
