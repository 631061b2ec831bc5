//go:build !linux

package storage

import (
	"errors"
	"runtime"
)

var (
	errNoAttr  = errors.New("no such extended attribute")
	errNoXattr = errors.New("user extended attributes are not supported on " + runtime.GOOS)
)

func setXattr(p, name string, v []byte) error { return errNoXattr }
func removeXattr(p, name string) error        { return errNoXattr }
func getXattr(p, name string) ([]byte, error) { return nil, errNoXattr }
func listXattr(p string) ([]string, error)    { return nil, errNoXattr }
