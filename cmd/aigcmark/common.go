package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/all"
)

// openFormat opens path and detects its container.
func openFormat(path string) (*os.File, label.Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("not a regular file")
	}
	format, err := all.Sniff(f, path)
	if err != nil {
		f.Close()
		if errors.Is(err, label.ErrUnknownFormat) {
			return nil, nil, errUnknown
		}
		return nil, nil, err
	}
	return f, format, nil
}

var errUnknown = fmt.Errorf("%w (supported: %s)", label.ErrUnknownFormat, formatNames())

func formatNames() string {
	s := ""
	for i, f := range all.Formats() {
		if i > 0 {
			s += ", "
		}
		s += f.Name()
	}
	return s
}

// describe shortens an error about the file path for a one-line message
// that already starts with path: an os.PathError about path itself loses
// its repeated path, and one about any other file (an output, a temporary
// file) keeps it.
func describe(err error, path string) string {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return strings.Replace(err.Error(), pe.Error(), pe.Op+": "+pe.Err.Error(), 1)
	}
	return err.Error()
}
