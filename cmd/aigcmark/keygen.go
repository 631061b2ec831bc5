package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/aigcmark/aigcmark/label/sign"
	"github.com/aigcmark/aigcmark/watermark"
)

type keygenOptions struct {
	Out  string
	Sign bool
}

func keygenCommand() *cli.Command {
	var o keygenOptions
	return &cli.Command{
		Name:  "keygen",
		Usage: "make a secret watermark key, or with --sign an Ed25519 signing key pair",
		Description: "Writes 32 random bytes from the system's secure source to FILE, readable by its owner only\n" +
			"(mode 0600). The key seeds every choice the watermark makes: keep it secret, keep a copy.\n" +
			"With --sign, writes an Ed25519 key pair for the integrity fields: PREFIX.key (PKCS#8 PEM,\n" +
			"mode 0600) for label --sign-key, and PREFIX.pub (PKIX PEM) to hand to verifiers.\n" +
			"An existing file is never overwritten.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "write the key to `FILE` (with --sign: the PREFIX of PREFIX.key and PREFIX.pub)", Destination: &o.Out},
			&cli.BoolFlag{Name: "sign", Usage: "make an Ed25519 signing key pair instead", Destination: &o.Sign},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("keygen: unexpected arguments %q", c.Args().Slice())
			}
			return runKeygen(o, c.App.ErrWriter)
		},
	}
}

func runKeygen(o keygenOptions, stderr io.Writer) error {
	if o.Out == "" {
		return usagef("keygen: --out FILE is required")
	}
	if o.Sign {
		id, err := sign.GenerateKey(o.Out)
		if err != nil {
			return fmt.Errorf("keygen: %w", err)
		}
		fmt.Fprintf(stderr, "wrote an Ed25519 signing key %s to %s.key (mode 0600) and %s.pub\n", id, o.Out, o.Out)
		return nil
	}
	k, err := watermark.NewKey()
	if err != nil {
		return err
	}
	// O_EXCL: a key that marked content must never be lost to a typo.
	f, err := os.OpenFile(o.Out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("keygen: %s exists; a key is never overwritten (content marked with it could not be read again)", o.Out)
	}
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	_, err = f.Write(k[:])
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(o.Out)
		return fmt.Errorf("keygen: writing %s: %w", o.Out, err)
	}
	fmt.Fprintf(stderr, "wrote a %d-byte watermark key to %s (mode 0600)\n", watermark.KeySize, o.Out)
	return nil
}

// loadKeyFile reads a watermark key file, refusing one others can read.
func loadKeyFile(path string) (watermark.Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return watermark.Key{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return watermark.Key{}, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return watermark.Key{}, fmt.Errorf("%s: the key is readable by others (mode %v); chmod 600 it", path, st.Mode().Perm())
	}
	k, err := watermark.LoadKey(f)
	if err != nil {
		return watermark.Key{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}
