package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsPointTowardTheRoots keeps the package map of STYLE.md: library
// packages never import the command's plumbing or its CLI library, and
// label and watermark do not import each other.
func TestImportsPointTowardTheRoots(t *testing.T) {
	const mod = "github.com/aigcmark/aigcmark/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Deps " "}}`, "github.com/aigcmark/aigcmark/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, ":")
		rel := strings.TrimPrefix(pkg, mod)
		for _, d := range strings.Fields(deps) {
			drel := strings.TrimPrefix(d, mod)
			bad := ""
			switch {
			case !strings.HasPrefix(rel, "cmd/") && (strings.HasPrefix(drel, "cmd/") || strings.HasPrefix(d, "github.com/urfave/cli")):
				bad = "library code imports command plumbing"
			case strings.HasPrefix(rel, "label") && (strings.HasPrefix(drel, "watermark") || strings.HasPrefix(drel, "detect")):
				bad = "label imports watermark or detect"
			case strings.HasPrefix(rel, "watermark") && (strings.HasPrefix(drel, "label") || strings.HasPrefix(drel, "detect")):
				bad = "watermark imports label or detect"
			case rel == "label" && strings.HasPrefix(d, mod):
				bad = "the label root package imports a container package"
			}
			if bad != "" {
				t.Errorf("%s imports %s: %s", pkg, d, bad)
			}
		}
	}
}
