package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/fixtures"
	"github.com/aigcmark/aigcmark/label"
)

const producer = "001191110108MA01KP2T5U10000"

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), append([]string{"aigcmark"}, args...), &o, &e)
	return code, o.String(), e.String()
}

// sampleDirs are the fixture folders of valid media.
func sampleDirs(t *testing.T) []string {
	var dirs []string
	ents, err := os.ReadDir(fixtures.Dir())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() && e.Name() != "bad" && e.Name() != "gen" {
			dirs = append(dirs, filepath.Join(fixtures.Dir(), e.Name()))
		}
	}
	if len(dirs) == 0 {
		t.Skip("no fixtures")
	}
	return dirs
}

func decodeReports(t *testing.T, out string) []map[string]json.RawMessage {
	t.Helper()
	var reps []map[string]json.RawMessage
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("inspect --json line is not a JSON object: %v\n%s", err, sc.Text())
		}
		reps = append(reps, m)
	}
	return reps
}

type report struct {
	Path   string  `json:"path"`
	Format *string `json:"format"`
	Labels []struct {
		Carrier string      `json:"carrier"`
		Form    string      `json:"form"`
		AIGC    label.Label `json:"aigc"`
	} `json:"labels"`
	Problems []struct {
		Code     string `json:"code"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
	} `json:"problems"`
	Compliant bool    `json:"compliant"`
	Error     *string `json:"error"`
}

func parseReports(t *testing.T, out string) []report {
	t.Helper()
	var reps []report
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r report
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		reps = append(reps, r)
	}
	return reps
}

// metadataOnly are the flags that write only the metadata label: the
// lossless path, which needs an audit log.
func metadataOnly(t *testing.T) []string {
	return []string{"--explicit", "none", "--audit-log", filepath.Join(t.TempDir(), "audit.jsonl"), "--recipient", "test"}
}

// labelSamples labels every sample folder into out/<folder> and returns out.
func labelSamples(t *testing.T, extra ...string) string {
	t.Helper()
	out := t.TempDir()
	for _, dir := range sampleDirs(t) {
		args := append([]string{"label", "--producer", producer, "--out", filepath.Join(out, filepath.Base(dir))}, extra...)
		code, stdout, stderr := runCLI(t, append(args, dir)...)
		if code != exitOK {
			t.Fatalf("label %s: exit %d\nstdout:\n%s\nstderr:\n%s", dir, code, stdout, stderr)
		}
		if !strings.Contains(stderr, "labeled ") {
			t.Fatalf("no summary on stderr: %s", stderr)
		}
	}
	return out
}

func TestLabelEveryFixtureThenInspect(t *testing.T) {
	out := labelSamples(t, metadataOnly(t)...)
	code, stdout, stderr := runCLI(t, "inspect", "--json", "--strict", "--explicit=false", out)
	if code != exitOK {
		t.Fatalf("inspect exit %d\n%s\n%s", code, stdout, stderr)
	}
	raw := decodeReports(t, stdout)
	reps := parseReports(t, stdout)
	if len(reps) < 20 {
		t.Fatalf("only %d outputs inspected", len(reps))
	}
	ids := map[string]bool{}
	for i, r := range reps {
		for _, k := range []string{"path", "format", "labels", "problems", "compliant", "error"} {
			if _, ok := raw[i][k]; !ok {
				t.Errorf("%s: JSON report lacks %q", r.Path, k)
			}
		}
		if r.Error != nil || len(r.Labels) != 1 || !r.Compliant {
			t.Errorf("%s: error %v, %d labels, compliant %v, problems %+v", r.Path, r.Error, len(r.Labels), r.Compliant, r.Problems)
			continue
		}
		l := r.Labels[0].AIGC
		if l.Label != "1" || l.ContentProducer != producer || l.ContentPropagator != producer ||
			l.PropagateID != l.ProduceID || len(l.ProduceID) != 32 || ids[l.ProduceID] {
			t.Errorf("%s: label %+v", r.Path, l)
		}
		ids[l.ProduceID] = true
		// The aigc object keeps the standard's key order.
		var labels []map[string]json.RawMessage
		_ = json.Unmarshal(raw[i]["labels"], &labels)
		aigc := string(labels[0]["aigc"])
		last := -1
		for _, k := range label.Keys {
			at := strings.Index(aigc, `"`+k+`"`)
			if at <= last {
				t.Errorf("%s: key %s out of order in %s", r.Path, k, aigc)
			}
			last = at
		}
	}
}

func TestReadsLabelsWrittenByOtherTools(t *testing.T) {
	files := fixtures.All("labeled")
	if len(files) == 0 {
		t.Skip("no labeled fixtures")
	}
	_, stdout, _ := runCLI(t, append([]string{"inspect", "--json"}, files...)...)
	for _, r := range parseReports(t, stdout) {
		if r.Error != nil || len(r.Labels) == 0 {
			t.Errorf("%s: error %v, %d labels", r.Path, r.Error, len(r.Labels))
			continue
		}
		if strings.Contains(r.Path, "conflicting") {
			if !hasProblem(r, "conflicting-labels") {
				t.Errorf("%s: no conflicting-labels problem: %+v", r.Path, r.Problems)
			}
			continue
		}
		if r.Labels[0].AIGC.Label != "1" || r.Labels[0].AIGC.ContentProducer == "" {
			t.Errorf("%s: label %+v", r.Path, r.Labels[0].AIGC)
		}
	}
}

func hasProblem(r report, code string) bool {
	for _, p := range r.Problems {
		if p.Code == code {
			return true
		}
	}
	return false
}

func TestBadInputsFailCleanlyAndOthersComplete(t *testing.T) {
	bad := fixtures.All("bad")
	if len(bad) == 0 {
		t.Skip("no bad fixtures")
	}
	good := fixtures.Path("jpeg/plain.jpg")
	out := t.TempDir()
	args := append([]string{"label", "--producer", producer, "--out", out, good}, bad...)
	code, _, stderr := runCLI(t, args...)
	if strings.Contains(stderr, "panic") {
		t.Fatalf("panic:\n%s", stderr)
	}
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailed, stderr)
	}
	for _, b := range bad {
		var line string
		for _, l := range strings.Split(stderr, "\n") {
			if strings.HasPrefix(l, b+": ") {
				line = l
			}
		}
		if line == "" {
			t.Errorf("no one-line error naming %s in:\n%s", b, stderr)
		}
		if _, err := os.Stat(filepath.Join(out, filepath.Base(b))); err == nil {
			t.Errorf("output left behind for %s", b)
		}
	}
	ents, _ := os.ReadDir(out)
	if len(ents) != 1 || ents[0].Name() != "plain.jpg" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("out holds %v, want only plain.jpg", names)
	}
	// inspect reports them the same way, one JSON line each with an error.
	code, stdout, _ := runCLI(t, append([]string{"inspect", "--json"}, bad...)...)
	if code != exitFailed {
		t.Fatalf("inspect exit %d", code)
	}
	for _, r := range parseReports(t, stdout) {
		if r.Error == nil || strings.Contains(*r.Error, "\n") {
			t.Errorf("%s: error %v", r.Path, r.Error)
		}
	}
}

func TestInPlace(t *testing.T) {
	dir := t.TempDir()
	src := fixtures.Path("png/text-chunks.png")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Skip(err)
	}
	p := filepath.Join(dir, "a.png")
	os.WriteFile(p, data, 0o640)
	corrupt := filepath.Join(dir, "b.png")
	os.WriteFile(corrupt, data[:len(data)/2], 0o644)
	code, _, stderr := runCLI(t, append(append([]string{"label"}, metadataOnly(t)...), "--producer", producer, "--produce-id", "ID-1", "--in-place", p)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, stdout, _ := runCLI(t, "inspect", "--json", p)
	r := parseReports(t, stdout)[0]
	if code != exitOK || len(r.Labels) != 1 || r.Labels[0].AIGC.ProduceID != "ID-1" {
		t.Fatalf("after --in-place: %+v", r)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
		t.Fatalf("mode changed to %v", st.Mode())
	}
	code, _, _ = runCLI(t, "label", "--producer", producer, "--in-place", corrupt)
	if b, _ := os.ReadFile(corrupt); code != exitFailed || !bytes.Equal(b, data[:len(data)/2]) {
		t.Fatalf("corrupt input: exit %d, changed %v", code, !bytes.Equal(b, data[:len(data)/2]))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("temporary files left: %v", ents)
	}
}

func TestExitCodesAndUsage(t *testing.T) {
	dir := t.TempDir()
	plain := fixtures.Path("jpeg/plain.jpg")
	notMedia := filepath.Join(dir, "notes.jpg")
	os.WriteFile(notMedia, []byte("hello, this is not a picture\x00\x01"), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no inputs", []string{"label", "--producer", producer, "--out", dir}, exitUsage, "no inputs"},
		{"no destination", []string{"label", "--producer", producer, plain}, exitUsage, "--out"},
		{"both destinations", []string{"label", "--producer", producer, "--out", dir, "--in-place", plain}, exitUsage, "--out"},
		{"no producer", []string{"label", "--out", dir, plain}, exitUsage, "producer"},
		{"bad label value", []string{"label", "--producer", producer, "--label", "4", "--out", dir, plain}, exitUsage, "label-value"},
		{"charset", []string{"label", "--producer", "Example AI", "--out", dir, plain}, exitUsage, "charset"},
		{"one id for many", []string{"label", "--producer", producer, "--produce-id", "X", "--out", dir, plain, plain}, exitUsage, "one piece of content"},
		{"unknown flag", []string{"inspect", "--nope", plain}, exitUsage, "nope"},
		{"missing file", []string{"inspect", filepath.Join(dir, "missing.jpg")}, exitFailed, "no such file"},
		{"not media", []string{"inspect", notMedia}, exitFailed, "unrecognised file format"},
		{"no label", []string{"inspect", plain}, exitNoLabel, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.msg) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s%s", code, tt.code, tt.msg, stdout, stderr)
			}
		})
	}
}

func TestLenientAcceptsNames(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runCLI(t, "label", "--lenient", "--producer", "Example AI", "--out", out, fixtures.Path("jpeg/plain.jpg"))
	if code != exitOK || !strings.Contains(stderr, "warning charset") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestFolderInputsKeepRelativePathsAndSkipOthers(t *testing.T) {
	in := t.TempDir()
	os.MkdirAll(filepath.Join(in, "x", "y"), 0o755)
	data, _ := os.ReadFile(fixtures.Path("jpeg/plain.jpg"))
	os.WriteFile(filepath.Join(in, "x", "y", "a.jpg"), data, 0o644)
	os.WriteFile(filepath.Join(in, "x", "meta.json"), []byte(`{"seed": 1}`), 0o644)
	os.WriteFile(filepath.Join(in, ".hidden.jpg"), data, 0o644)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "label", "--producer", producer, "--out", out, in)
	if code != exitOK {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "x", "y", "a.jpg")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "meta.json: skipped") {
		t.Fatalf("JSON sidecar not reported as skipped:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(out, "x", "meta.json")); err == nil {
		t.Fatal("sidecar written")
	}
	if _, err := os.Stat(filepath.Join(out, ".hidden.jpg")); err == nil {
		t.Fatal("hidden file labeled")
	}
}

func TestOutputsCheckedByIndependentTools(t *testing.T) {
	out := labelSamples(t, append(metadataOnly(t), "--quiet")...)
	exiftool := fixtures.NeedTool(t, "exiftool")
	ffprobe := fixtures.NeedTool(t, "ffprobe")
	metaflac := fixtures.NeedTool(t, "metaflac")
	check := func(tool string, args []string, file string) {
		t.Helper()
		b, err := exec.Command(tool, append(args, file)...).CombinedOutput()
		if err != nil || !strings.Contains(string(b), `"ContentProducer":"`+producer+`"`) {
			t.Errorf("%s %s: %v\n%s", filepath.Base(tool), file, err, b)
		}
	}
	for _, dir := range []string{"jpeg", "png", "webp", "gif"} {
		for _, f := range globOut(out, dir) {
			check(exiftool, []string{"-config", fixtures.ExiftoolConfig(), "-s3", "-XMP-TC260:AIGC"}, f)
		}
	}
	for _, dir := range []string{"mp4", "mp3", "flac", "ogg"} {
		for _, f := range globOut(out, dir) {
			check(ffprobe, []string{"-v", "error", "-show_entries", "format_tags=AIGC:stream_tags=AIGC", "-of", "default=nw=1:nk=1"}, f)
		}
	}
	for _, f := range globOut(out, "flac") {
		check(metaflac, []string{"--list", "--block-type=VORBIS_COMMENT"}, f)
	}
}

func globOut(out, dir string) []string {
	m, _ := filepath.Glob(filepath.Join(out, dir, "*"))
	return m
}

func TestOutputErrorsNameTheOutput(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, []byte("x"), 0o644)
	in := fixtures.Path("jpeg/plain.jpg")
	code, _, stderr := runCLI(t, "label", "--producer", producer, "--out", filepath.Join(blocker, "out"), in)
	if code != exitFailed || !strings.Contains(stderr, in+": ") || !strings.Contains(stderr, filepath.Join(blocker, "out")) {
		t.Fatalf("exit %d; want a line for %s naming the output folder:\n%s", code, in, stderr)
	}
}

func TestReplacingAnotherProducersLabelIsReported(t *testing.T) {
	in := fixtures.Path("labeled/ffmpeg.mp4")
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, append(append([]string{"label"}, metadataOnly(t)...), "--producer", "OTHER-SERVICE", "--out", out, in)...)
	if code != exitOK || !strings.Contains(stdout, `replaced 1 earlier label(s) by ContentProducer "`+producer+`"`) ||
		!strings.Contains(stderr, "1 carried another producer's label") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	// The same producer relabeling its own output is no news.
	code, stdout, stderr = runCLI(t, append(append([]string{"label"}, metadataOnly(t)...), "--producer", "OTHER-SERVICE", "--out", filepath.Join(out, "again"), filepath.Join(out, "ffmpeg.mp4"))...)
	if code != exitOK || strings.Contains(stdout, "ContentProducer") || strings.Contains(stderr, "another producer") {
		t.Fatalf("relabel by the same producer: exit %d\n%s%s", code, stdout, stderr)
	}
}
