// Package fileset expands the command line's inputs — files and folders,
// walked recursively — into the list of files a command works on, each with
// the relative path its output keeps under --out.
package fileset

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// File is one input file.
type File struct {
	Path string // as given, or joined under the folder given
	// Rel is the path the output keeps under an output folder: the base
	// name for a file named on the command line, the path below the folder
	// for a file found in a folder.
	Rel string
	// Explicit is true for a file named on the command line. A file found
	// in a folder that turns out not to be a supported format is skipped;
	// one named explicitly is an error.
	Explicit bool
	Err      error // the input could not be read (missing, unreadable folder)
}

// Expand returns the files named by args, folders walked recursively in
// lexical order, hidden files and folders (".name") inside folders skipped.
// A missing input yields a File with Err set, so the other inputs proceed.
// Symbolic links named on the command line are followed; inside folders,
// links to files are followed and links to folders are not (no cycles).
func Expand(args []string) []File {
	var out []File
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			out = append(out, File{Path: arg, Rel: filepath.Base(arg), Explicit: true, Err: err})
			continue
		}
		if !st.IsDir() {
			out = append(out, File{Path: arg, Rel: filepath.Base(arg), Explicit: true})
			continue
		}
		var found []File
		err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				found = append(found, File{Path: p, Rel: rel(arg, p), Err: err})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if p != arg && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				st, err := os.Stat(p)
				if err != nil || !st.Mode().IsRegular() {
					return nil
				}
			} else if !d.Type().IsRegular() {
				return nil
			}
			found = append(found, File{Path: p, Rel: rel(arg, p)})
			return nil
		})
		if err != nil {
			found = append(found, File{Path: arg, Rel: filepath.Base(arg), Explicit: true, Err: err})
		}
		sort.SliceStable(found, func(i, j int) bool { return found[i].Path < found[j].Path })
		out = append(out, found...)
	}
	return out
}

func rel(root, p string) string {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return filepath.Base(p)
	}
	return r
}

// CheckDistinct reports two inputs that would be written to the same
// output path under an output folder (two files named a.jpg given from
// different folders, say).
func CheckDistinct(files []File) error {
	seen := map[string]string{}
	for _, f := range files {
		if f.Err != nil {
			continue
		}
		if prev, ok := seen[f.Rel]; ok && prev != f.Path {
			return fmt.Errorf("%s and %s would both be written as %s", prev, f.Path, f.Rel)
		}
		seen[f.Rel] = f.Path
	}
	return nil
}

// Outside returns the files not inside the folder dir, keeping those named
// explicitly on the command line.
func Outside(files []File, dir string) []File {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return files
	}
	out := files[:0:0]
	for _, f := range files {
		p, err := filepath.Abs(f.Path)
		if err == nil && !f.Explicit && strings.HasPrefix(p, abs+string(filepath.Separator)) {
			continue
		}
		out = append(out, f)
	}
	return out
}
