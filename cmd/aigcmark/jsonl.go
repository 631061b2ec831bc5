package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// jsonlFile appends JSON lines to a file. The label command writes its
// --report and --audit-log through it, from one goroutine.
type jsonlFile struct {
	f    *os.File
	enc  *json.Encoder
	path string
	err  error // the first write error, reported at Close
}

// openJSONL opens path for JSON lines: appending to what is there (the
// audit log keeps six months of lines), or truncating it (a run's report).
func openJSONL(path string, appendTo bool) (*jsonlFile, error) {
	flag := os.O_WRONLY | os.O_CREATE
	if appendTo {
		flag |= os.O_APPEND
	} else {
		flag |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	return &jsonlFile{f: f, enc: enc, path: path}, nil
}

func (j *jsonlFile) write(v any) {
	if j == nil || j.err != nil {
		return
	}
	if err := j.enc.Encode(v); err != nil {
		j.err = err
	}
}

// Close syncs the file to disk and reports the first error met.
func (j *jsonlFile) Close() error {
	if j == nil {
		return nil
	}
	err := j.err
	if serr := j.f.Sync(); err == nil {
		err = serr
	}
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", j.path, err)
	}
	return nil
}

// reportLine is one line of `label --report`: a contract documented in
// README.md.
type reportLine struct {
	Input      string   `json:"input"`
	Output     *string  `json:"output"`
	Format     *string  `json:"format"`
	Kind       *string  `json:"kind"`
	Applied    []string `json:"applied"`
	ProduceID  *string  `json:"produce_id"`
	Watermark  *string  `json:"watermark"` // the 16-hex-digit payload embedded, null for none
	DurationMS int64    `json:"duration_ms"`
	Error      *string  `json:"error"`
}

// auditLine is one line of `label --audit-log`: who received content handed
// out without its explicit label (Measures Art. 9 asks a service to keep
// these for at least six months).
type auditLine struct {
	Time      string `json:"time"`
	Input     string `json:"input"`
	Output    string `json:"output"`
	Producer  string `json:"producer"`
	ProduceID string `json:"produce_id"`
	Recipient string `json:"recipient"`
}

func nowRFC3339() string { return time.Now().UTC().Format(time.RFC3339Nano) }

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
