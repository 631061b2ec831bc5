package c2pa

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aigcmark/aigcmark/label/labeltest"
)

// TestExiftoolOracle has exiftool, which decodes JUMBF and CBOR with its own
// code, read the JPEG (APP11 reassembly) and PNG samples, and checks that it
// sees the same manifests, claim generators and actions as Find. Exiftool
// 12.57 (Debian bookworm) does not read C2PA in MP4 or WAV, so those two
// rest on this package's tests alone.
func TestExiftoolOracle(t *testing.T) {
	dir := t.TempDir()
	for _, c := range containers(t) {
		if c.source != SourceJPEG && c.source != SourcePNG {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "sample"+map[string]string{SourceJPEG: ".jpg", SourcePNG: ".png"}[c.source])
			if err := os.WriteFile(p, c.file, 0o644); err != nil {
				t.Fatal(err)
			}
			var docs []map[string]any
			if err := json.Unmarshal([]byte(labeltest.RunTool(t, "exiftool", "-j", "-G3", "-struct", "-u", "-jumbf:all", p)), &docs); err != nil || len(docs) != 1 {
				t.Fatalf("exiftool output: %v", err)
			}
			var theirs exifView
			manifestDoc := regexp.MustCompile(`^Doc\d+-\d+:JUMDLabel$`)
			for k, v := range docs[0] {
				switch {
				case manifestDoc.MatchString(k) && strings.HasPrefix(v.(string), "urn:"):
					theirs.manifests = append(theirs.manifests, v.(string))
				case strings.HasSuffix(k, ":Claim_generator"):
					theirs.generators = append(theirs.generators, v.(string))
				case strings.HasSuffix(k, ":Actions"):
					for _, a := range v.([]any) {
						m := a.(map[string]any)
						dst, _ := m["digitalSourceType"].(string)
						theirs.actions = append(theirs.actions, m["action"].(string)+" "+dst)
					}
				}
			}
			ms, err := Find(bytes.NewReader(c.file))
			if err != nil {
				t.Fatal(err)
			}
			var ours exifView
			for _, m := range ms {
				ours.manifests = append(ours.manifests, m.Label)
				if m.ClaimGenerator != "" {
					ours.generators = append(ours.generators, m.ClaimGenerator)
				}
				for _, a := range m.Actions {
					ours.actions = append(ours.actions, a.Action+" "+a.DigitalSourceType)
				}
			}
			theirs.sort()
			ours.sort()
			if len(theirs.manifests) != 2 || strings.Join(theirs.actions, "|") != strings.Join(ours.actions, "|") ||
				strings.Join(theirs.manifests, "|") != strings.Join(ours.manifests, "|") ||
				strings.Join(theirs.generators, "|") != strings.Join(ours.generators, "|") {
				t.Errorf("exiftool sees %+v\nFind reports %+v", theirs, ours)
			}
		})
	}
}

type exifView struct{ manifests, generators, actions []string }

func (v *exifView) sort() {
	sort.Strings(v.manifests)
	sort.Strings(v.generators)
	sort.Strings(v.actions)
}
