package storage

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

var (
	errNoAttr  = errors.New("no such extended attribute")
	errNoXattr = errors.New("the file system does not support user extended attributes")
)

func xattrErr(err error) error {
	switch {
	case errors.Is(err, syscall.ENODATA):
		return fmt.Errorf("%w: %w", errNoAttr, err)
	case errors.Is(err, syscall.ENOTSUP):
		return fmt.Errorf("%w: %w", errNoXattr, err)
	}
	return err
}

func setXattr(p, name string, v []byte) error {
	return xattrErr(syscall.Setxattr(p, name, v, 0))
}

func removeXattr(p, name string) error {
	return xattrErr(syscall.Removexattr(p, name))
}

// getXattr reads an attribute of at most maxXattrSize bytes.
func getXattr(p, name string) ([]byte, error) {
	buf := make([]byte, maxXattrSize)
	n, err := syscall.Getxattr(p, name, buf)
	if errors.Is(err, syscall.ERANGE) {
		return nil, fmt.Errorf("extended attribute %s of %s is longer than %d bytes", name, p, maxXattrSize)
	}
	if err != nil {
		return nil, xattrErr(err)
	}
	return buf[:n], nil
}

// listXattr lists the attribute names of p, at most 64 KiB of them.
func listXattr(p string) ([]string, error) {
	buf := make([]byte, 64<<10)
	n, err := syscall.Listxattr(p, buf)
	if err != nil {
		return nil, xattrErr(err)
	}
	var names []string
	for name := range strings.SplitSeq(string(buf[:n]), "\x00") {
		if name != "" {
			names = append(names, name)
		}
	}
	return names, nil
}
