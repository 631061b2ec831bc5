package label

import (
	"errors"
	"fmt"
	"io"
)

// SniffLen is how many leading bytes Format.Sniff is given (fewer when the
// file is shorter).
const SniffLen = 512

// MaxMetadata bounds any one metadata structure a reader loads into memory
// (an XMP packet, an ID3 tag, a comment block, an MP4 moov box's metadata).
// Media payloads are never loaded.
const MaxMetadata = 32 << 20

// Format is one container: how to recognise it and where its label lives.
//
// Read returns every AIGC label found, in any carrier the container has,
// without reading the media payload. Write streams src to dst with l in the
// container's primary carrier, replacing every label src had (so the output
// carries exactly one) and copying every other byte unchanged, except for
// the sizes and offsets the new carrier makes necessary.
type Format interface {
	Name() string
	Sniff(head []byte) bool
	Read(r io.ReadSeeker) ([]Found, error)
	Write(dst io.Writer, src io.ReadSeeker, l Label) error
}

// Carrier names used in Found.Carrier.
const (
	CarrierXMP           = "xmp"            // TC260:AIGC in an XMP packet
	CarrierEXIF          = "exif"           // EXIF UserComment (wrapped JSON)
	CarrierPNGText       = "png-text"       // PNG tEXt/zTXt/iTXt keyword AIGC
	CarrierMP4Keys       = "mp4-keys"       // moov/udta/meta keys (mdta AIGC) + ilst
	CarrierMP4Ilst       = "mp4-ilst"       // ilst item named AIGC without keys
	CarrierRIFFChunk     = "riff-chunk"     // top-level RIFF chunk AIGC
	CarrierRIFFInfo      = "riff-info"      // LIST/INFO/AIGC
	CarrierID3           = "id3-txxx"       // ID3v2 TXXX description AIGC
	CarrierVorbisComment = "vorbis-comment" // AIGC=… in a Vorbis comment
	CarrierFrontMatter   = "front-matter"   // YAML front matter AIGC:
)

// Found is one label found in a file.
type Found struct {
	Carrier  string    // one of the Carrier constants
	Where    string    // where in the file, for people: "APP1 segment", "moov/udta/meta"
	Offset   int64     // byte offset of the carrying structure, -1 if unknown
	Raw      string    // the JSON text as stored (after unescaping)
	Label    Label     // the parsed fields
	Wrapped  bool      // the value was in the {"AIGC":{…}} form
	Problems []Problem // departures found while parsing Raw
}

// NewFound parses raw and returns the Found for it. Text that is not JSON at
// all still yields a Found, with a "bad-json" problem: a field named AIGC
// that cannot be read is itself a finding.
func NewFound(carrier, where string, offset int64, raw []byte) Found {
	f := Found{Carrier: carrier, Where: where, Offset: offset, Raw: string(raw)}
	l, wrapped, ps, err := Parse(raw)
	if err != nil {
		f.Problems = []Problem{{Code: "bad-json", Severity: Error, Message: err.Error()}}
		return f
	}
	f.Label, f.Wrapped, f.Problems = l, wrapped, ps
	return f
}

// Errors callers branch on.
var (
	// ErrNoLabel means a file was read completely and carries no label.
	ErrNoLabel = errors.New("no AIGC label")
	// ErrUnknownFormat means no registered Format recognised the bytes.
	ErrUnknownFormat = errors.New("unrecognised file format")
	// ErrCorrupt is matched (errors.Is) by every FormatError that is not Unsupported.
	ErrCorrupt = errors.New("corrupt file")
	// ErrUnsupported is matched by FormatErrors for valid but unsupported variants.
	ErrUnsupported = errors.New("unsupported file variant")
)

// FormatError is a parse error in a container. Error() reads like
// "jpeg: APP1 segment at offset 2 claims 70000 bytes, file has 1200".
type FormatError struct {
	Format      string // "jpeg", "mp4", …
	Offset      int64  // where the problem is, -1 if unknown
	Msg         string
	Unsupported bool  // a valid file we cannot handle, rather than a corrupt one
	Err         error // underlying cause, such as io.ErrUnexpectedEOF; may be nil
}

func (e *FormatError) Error() string {
	s := e.Format + ": "
	if e.Unsupported {
		s += "unsupported: "
	}
	s += e.Msg
	if e.Offset >= 0 {
		s += fmt.Sprintf(" (at offset %d)", e.Offset)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCorrupt) and errors.Is(err, ErrUnsupported) work.
func (e *FormatError) Is(target error) bool {
	return (target == ErrCorrupt && !e.Unsupported) || (target == ErrUnsupported && e.Unsupported)
}

// Corrupt returns a FormatError for a corrupt file.
func Corrupt(format string, offset int64, msg string, args ...any) *FormatError {
	return &FormatError{Format: format, Offset: offset, Msg: fmt.Sprintf(msg, args...)}
}

// Unsupported returns a FormatError for a valid variant we do not handle.
func Unsupported(format string, offset int64, msg string, args ...any) *FormatError {
	return &FormatError{Format: format, Offset: offset, Msg: fmt.Sprintf(msg, args...), Unsupported: true}
}

// Truncated returns a FormatError for a structure cut short: it wraps
// io.ErrUnexpectedEOF.
func Truncated(format string, offset int64, what string) *FormatError {
	return &FormatError{Format: format, Offset: offset, Msg: what + " is truncated", Err: io.ErrUnexpectedEOF}
}

// ReadAtMost reads exactly n bytes from r after checking n against limit,
// so that a length taken from a header never allocates more than limit.
// A short read gives io.ErrUnexpectedEOF.
func ReadAtMost(r io.Reader, n, limit int64) ([]byte, error) {
	if n < 0 || n > limit {
		return nil, fmt.Errorf("length %d is over the limit of %d bytes", n, limit)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// Size returns the size of a seekable stream and leaves it at offset 0.
func Size(r io.Seeker) (int64, error) {
	n, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	_, err = r.Seek(0, io.SeekStart)
	return n, err
}
