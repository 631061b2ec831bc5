package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/aigcmark/aigcmark/cmd/internal/safewrite"
	"github.com/aigcmark/aigcmark/label"
	"github.com/aigcmark/aigcmark/label/digest"
	"github.com/aigcmark/aigcmark/label/sign"
)

// writeLabel writes src (of format) with the metadata label l to target:
// with signer, party's integrity field is first signed over the content
// digest of src. The new file is written beside target, read back and
// checked (the label, and the signature against its own content), and only
// then renamed into place; inPlace allows replacing an existing target.
// It returns the label as read back and whether it signed.
func writeLabel(src io.ReadSeeker, format label.Format, target string, perm fs.FileMode, inPlace bool,
	l label.Label, signer sign.Scheme, party sign.Party) (label.Found, bool, error) {
	if signer != nil {
		d, err := digest.SumFormat(format, src)
		if err != nil {
			return label.Found{}, false, fmt.Errorf("signing: %w", err)
		}
		if _, err := src.Seek(0, io.SeekStart); err != nil {
			return label.Found{}, false, err
		}
		content := sign.Content{Container: format.Name(), Digest: d}
		if l, err = sign.SignLabel(signer, party, l, content); err != nil {
			return label.Found{}, false, fmt.Errorf("signing: %w", err)
		}
	}
	tmp, err := safewrite.Create(target, perm)
	if err != nil {
		return label.Found{}, false, err
	}
	defer tmp.Discard()
	if err := format.Write(tmp, src, l); err != nil {
		return label.Found{}, false, err
	}
	if signer != nil {
		if err := verifySigned(tmp.File, format, signer, party, l); err != nil {
			return label.Found{}, false, fmt.Errorf("the labeled file did not check out, nothing was written: %w", err)
		}
	}
	written, err := verifyOutput(tmp.File, format, l)
	if err != nil {
		return label.Found{}, false, fmt.Errorf("the labeled file did not check out, nothing was written: %w", err)
	}
	if err := tmp.Commit(inPlace); err != nil {
		return label.Found{}, false, err
	}
	return written, signer != nil, nil
}

// verifySigned checks party's signature in the written file f against
// its own content: the digest of what was written must verify with the key.
func verifySigned(f *os.File, format label.Format, s sign.Scheme, party sign.Party, l label.Label) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	d, err := digest.SumFormat(format, f)
	if err != nil {
		return fmt.Errorf("digest of the output: %w", err)
	}
	keys := sign.Keyring{}
	if _, err := keys.Add(s.Public(), "the signing key"); err != nil {
		return err
	}
	if r := sign.Verify(keys, party, l, sign.Content{Container: format.Name(), Digest: d}); r.Status != sign.Valid {
		return fmt.Errorf("the signature does not verify on the output: %s", r.Reason)
	}
	return nil
}
