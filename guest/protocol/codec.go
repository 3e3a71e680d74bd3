package protocol

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Error codes carried in ERROR frames (ErrorMeta.Code). PROTOCOL.md lists when each is sent.
const (
	CodeBadHeader          = "bad_header"
	CodeUnsupportedVersion = "unsupported_version"
	CodeFrameTooLarge      = "frame_too_large"
	CodeUnknownType        = "unknown_type"
	CodeBadPayload         = "bad_payload"
	CodeBadMeta            = "bad_meta"
	CodeInvalidRequest     = "invalid_request"
	CodeBusy               = "busy"
	CodeNoCode             = "no_code"
	CodeIdentityFailed     = "identity_failed"
	CodeBadCodePackage     = "bad_code_package"
	CodeCodeLoadFailed     = "code_load_failed"
	CodeRuntimeUnavailable = "runtime_unavailable"
	CodeInternal           = "internal"
)

// FrameError is a rejected frame. The decoder has already skipped it (or started scanning
// for the next header), so the caller may answer with an ERROR frame and call Next again.
type FrameError struct {
	Code      string // one of the Code* constants
	RequestID uint64 // the rejected frame's request id, 0 if its header was unreadable
	Type      Type
	Err       error
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("%s (request %d): %v", e.Code, e.RequestID, e.Err)
}

func (e *FrameError) Unwrap() error { return e.Err }

// Decoder reads frames from a byte stream. It never allocates more than MaxPayload for a frame
// and never panics on any input. Resynchronisation: a header with a bad magic or CRC starts a
// scan for the next position holding the magic and a header whose CRC checks; a well-formed
// header it can't serve (unknown type, version, oversized) has its payload skipped by length.
type Decoder struct {
	r        *bufio.Reader
	scanning bool
}

// NewDecoder returns a decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: bufio.NewReaderSize(r, 64<<10)}
}

// Reset drops buffered bytes and any scan in progress, e.g. after the peer reconnected.
func (d *Decoder) Reset(r io.Reader) {
	d.r.Reset(r)
	d.scanning = false
}

var magicBytes = []byte{0x46, 0x41, 0x41, 0x47}

// Next returns the next frame. A *FrameError reports a rejected frame; Next can be called
// again. Any other error comes from the reader (io.EOF at a frame boundary,
// io.ErrUnexpectedEOF inside a frame) and the partial frame is lost.
func (d *Decoder) Next() (Frame, error) {
	for {
		hb, err := d.r.Peek(HeaderSize)
		if err != nil {
			if errors.Is(err, io.EOF) && len(hb) > 0 {
				return Frame{}, io.ErrUnexpectedEOF
			}
			return Frame{}, err
		}
		h, err := ParseHeader(hb)
		if err != nil {
			// Not a header here: drop a byte and look for the next magic. The first bad
			// header of a run is reported at once; the rest of the run is skipped silently.
			if _, err := d.r.Discard(1); err != nil {
				return Frame{}, err
			}
			if !d.scanning {
				d.scanning = true
				return Frame{}, &FrameError{Code: CodeBadHeader, Err: err}
			}
			if err := d.skipToMagic(); err != nil {
				return Frame{}, err
			}
			continue
		}
		d.scanning = false
		if _, err := d.r.Discard(HeaderSize); err != nil {
			return Frame{}, err
		}
		if reject := d.check(h); reject != nil {
			if err := d.skip(int64(h.PayloadLen)); err != nil {
				return Frame{}, err
			}
			return Frame{}, reject
		}
		payload := make([]byte, h.PayloadLen)
		if _, err := io.ReadFull(d.r, payload); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return Frame{}, err
		}
		meta, body, err := SplitPayload(payload)
		if err != nil {
			return Frame{}, &FrameError{Code: CodeBadPayload, RequestID: h.RequestID, Type: h.Type, Err: err}
		}
		return Frame{Type: h.Type, RequestID: h.RequestID, Meta: meta, Body: body}, nil
	}
}

func (d *Decoder) check(h Header) *FrameError {
	fe := func(code string, err error) *FrameError {
		return &FrameError{Code: code, RequestID: h.RequestID, Type: h.Type, Err: err}
	}
	switch {
	case h.Version != Version:
		return fe(CodeUnsupportedVersion, fmt.Errorf("%w: %d (speaks %d)", ErrUnsupportedVersion, h.Version, Version))
	case h.PayloadLen > MaxPayload:
		return fe(CodeFrameTooLarge, fmt.Errorf("%w: payload %d bytes > %d", ErrFrameTooLarge, h.PayloadLen, MaxPayload))
	case !h.Type.Known():
		return fe(CodeUnknownType, fmt.Errorf("%w: %v", ErrUnknownType, h.Type))
	}
	return nil
}

// skip discards n bytes without buffering them.
func (d *Decoder) skip(n int64) error {
	c, err := io.CopyN(io.Discard, d.r, n)
	if err != nil && errors.Is(err, io.EOF) && c < n {
		return io.ErrUnexpectedEOF
	}
	return err
}

// skipToMagic drops bytes up to the next occurrence of the magic.
func (d *Decoder) skipToMagic() error {
	for {
		buf, _ := d.r.Peek(d.r.Buffered())
		if len(buf) == 0 {
			// Nothing buffered: block for more input.
			if _, err := d.r.Peek(1); err != nil {
				return err
			}
			continue
		}
		if i := bytes.Index(buf, magicBytes); i >= 0 {
			_, err := d.r.Discard(i)
			return err
		}
		// Keep a possible magic prefix at the end of the buffer.
		keep := len(magicBytes) - 1
		if len(buf) <= keep {
			if _, err := d.r.Peek(len(buf) + 1); err != nil {
				return err
			}
			continue
		}
		if _, err := d.r.Discard(len(buf) - keep); err != nil {
			return err
		}
	}
}

// Encoder writes whole frames; safe for concurrent use (frames never interleave).
type Encoder struct {
	mu sync.Mutex
	w  io.Writer
}

// NewEncoder returns an encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Write encodes f and writes it with one Write call (the writer loops over short writes).
func (e *Encoder) Write(f Frame) error {
	b, err := Encode(f)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, err = e.w.Write(b)
	return err
}
