package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

func mustEncode(t testing.TB, f Frame) []byte {
	t.Helper()
	b, err := Encode(f)
	if err != nil {
		t.Fatalf("encode %v: %v", f.Type, err)
	}
	return b
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	cases := []Frame{
		{Type: TypePing, RequestID: 1},
		{Type: TypeReadyReply, RequestID: 0, Meta: []byte(`{"protocol":1}`)},
		{Type: TypeInvoke, RequestID: 1<<64 - 1, Meta: []byte(`{"timeoutMs":100}`), Body: []byte("event")},
		{Type: TypeLoadCode, RequestID: 7, Body: []byte{0, 1, 2, 0xFF}},
		{Type: TypeResult, RequestID: 9, Meta: []byte(`{}`), Body: bytes.Repeat([]byte{'x'}, MaxBody)},
	}
	var stream bytes.Buffer
	for _, f := range cases {
		stream.Write(mustEncode(t, f))
	}
	d := NewDecoder(&stream)
	for i, want := range cases {
		got, err := d.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if got.Type != want.Type || got.RequestID != want.RequestID ||
			!bytes.Equal(got.Meta, want.Meta) || !bytes.Equal(got.Body, want.Body) {
			t.Fatalf("frame %d: got %v/%d meta %q body %d bytes, want %v/%d meta %q body %d bytes", i,
				got.Type, got.RequestID, got.Meta, len(got.Body), want.Type, want.RequestID, want.Meta, len(want.Body))
		}
	}
	if _, err := d.Next(); err != io.EOF {
		t.Fatalf("after last frame: %v, want io.EOF", err)
	}
}

func TestHeaderLayoutIsFixed(t *testing.T) {
	// The exact bytes of PING id 1 with an empty payload (the example in PROTOCOL.md).
	b := mustEncode(t, Frame{Type: TypePing, RequestID: 1})
	want := []byte{'F', 'A', 'A', 'G', 1, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x37, 0x61, 0x1c, 0xb0}
	if !bytes.Equal(b, want) {
		t.Fatalf("frame % x, want % x", b, want)
	}
}

func TestPayloadLayout(t *testing.T) {
	b := mustEncode(t, Frame{Type: TypeInvoke, RequestID: 2, Meta: []byte(`{}`), Body: []byte("ev")})
	if got := binary.BigEndian.Uint32(b[16:20]); got != 4+2+2 {
		t.Fatalf("payload length %d, want 8", got)
	}
	if !bytes.Equal(b[HeaderSize:], []byte{0, 0, 0, 2, '{', '}', 'e', 'v'}) {
		t.Fatalf("payload % x", b[HeaderSize:])
	}
}

func TestEncodeRejectsOversized(t *testing.T) {
	if _, err := Encode(Frame{Type: TypeInvoke, Body: make([]byte, MaxBody+1)}); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("body over limit: %v", err)
	}
	if _, err := Encode(Frame{Type: TypeInvoke, Meta: make([]byte, MaxMeta+1)}); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("meta over limit: %v", err)
	}
}

func frameErr(t *testing.T, err error, code string) *FrameError {
	t.Helper()
	var fe *FrameError
	if !errors.As(err, &fe) || fe.Code != code {
		t.Fatalf("got %v, want FrameError %s", err, code)
	}
	return fe
}

// next reads the next frame and requires it to be a PING with the given id: proof that the
// decoder is back in sync after a rejected frame.
func nextPing(t *testing.T, d *Decoder, id uint64) {
	t.Helper()
	f, err := d.Next()
	if err != nil || f.Type != TypePing || f.RequestID != id {
		t.Fatalf("after rejection: %v %v id %d, want PING id %d", err, f.Type, f.RequestID, id)
	}
}

func TestDecodeOversizedFrameIsSkippedByLength(t *testing.T) {
	hdr := make([]byte, HeaderSize)
	PutHeader(hdr, Header{Version: Version, Type: TypeInvoke, RequestID: 42, PayloadLen: MaxPayload + 1})
	stream := append(hdr, make([]byte, MaxPayload+1)...)
	stream = append(stream, mustEncode(t, Frame{Type: TypePing, RequestID: 43})...)
	d := NewDecoder(bytes.NewReader(stream))
	_, err := d.Next()
	if fe := frameErr(t, err, CodeFrameTooLarge); fe.RequestID != 42 {
		t.Fatalf("request id %d, want 42", fe.RequestID)
	}
	nextPing(t, d, 43)
}

func TestDecodeBadVersionAndUnknownTypeAreSkipped(t *testing.T) {
	var stream []byte
	hdr := make([]byte, HeaderSize)
	PutHeader(hdr, Header{Version: 2, Type: TypePing, RequestID: 5, PayloadLen: 3})
	stream = append(append(stream, hdr...), 'a', 'b', 'c')
	PutHeader(hdr, Header{Version: Version, Type: Type(0x33), RequestID: 6, PayloadLen: 2})
	stream = append(append(stream, hdr...), 'x', 'y')
	stream = append(stream, mustEncode(t, Frame{Type: TypePing, RequestID: 7})...)
	d := NewDecoder(bytes.NewReader(stream))
	_, err := d.Next()
	frameErr(t, err, CodeUnsupportedVersion)
	_, err = d.Next()
	frameErr(t, err, CodeUnknownType)
	nextPing(t, d, 7)
}

func TestDecodeBadMetaLength(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload []byte
	}{
		{"short", []byte{0, 0}},
		{"meta beyond payload", []byte{0, 0, 0, 9, '{', '}'}},
		{"meta over limit", binary.BigEndian.AppendUint32(nil, MaxMeta+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := make([]byte, HeaderSize)
			PutHeader(hdr, Header{Version: Version, Type: TypeInvoke, RequestID: 3, PayloadLen: uint32(len(tc.payload))})
			stream := append(append(hdr, tc.payload...), mustEncode(t, Frame{Type: TypePing, RequestID: 4})...)
			d := NewDecoder(bytes.NewReader(stream))
			_, err := d.Next()
			frameErr(t, err, CodeBadPayload)
			nextPing(t, d, 4)
		})
	}
}

func TestDecodeGarbageResynchronisesOnMagic(t *testing.T) {
	garbage := []byte("\x00garbage FAA FAAG-not-a-header-because-crc \xff\xfe")
	stream := append(garbage, mustEncode(t, Frame{Type: TypePing, RequestID: 11})...)
	stream = append(stream, garbage...)
	stream = append(stream, mustEncode(t, Frame{Type: TypePing, RequestID: 12})...)
	d := NewDecoder(bytes.NewReader(stream))
	_, err := d.Next()
	frameErr(t, err, CodeBadHeader)
	nextPing(t, d, 11)
	_, err = d.Next()
	frameErr(t, err, CodeBadHeader)
	nextPing(t, d, 12)
}

func TestDecodeCorruptedHeaderCRC(t *testing.T) {
	b := mustEncode(t, Frame{Type: TypePing, RequestID: 1})
	b[17] ^= 0x10 // length field changed in flight: CRC catches it, no 1 MiB read
	stream := append(b, mustEncode(t, Frame{Type: TypePing, RequestID: 2})...)
	d := NewDecoder(bytes.NewReader(stream))
	_, err := d.Next()
	fe := frameErr(t, err, CodeBadHeader)
	if !errors.Is(fe, ErrBadHeaderCRC) {
		t.Fatalf("cause %v, want CRC mismatch", fe.Err)
	}
	nextPing(t, d, 2)
}

func TestDecodeShortFrames(t *testing.T) {
	full := mustEncode(t, Frame{Type: TypeInvoke, RequestID: 1, Meta: []byte(`{"a":1}`), Body: []byte("body")})
	for n := 1; n < len(full); n++ {
		d := NewDecoder(bytes.NewReader(full[:n]))
		if _, err := d.Next(); err != io.ErrUnexpectedEOF {
			t.Fatalf("%d of %d bytes: %v, want io.ErrUnexpectedEOF", n, len(full), err)
		}
	}
}

func TestDecoderResetDropsPartialFrame(t *testing.T) {
	full := mustEncode(t, Frame{Type: TypePing, RequestID: 1})
	d := NewDecoder(bytes.NewReader(full[:10]))
	if _, err := d.Next(); err == nil {
		t.Fatal("partial frame decoded")
	}
	d.Reset(bytes.NewReader(mustEncode(t, Frame{Type: TypePing, RequestID: 2})))
	nextPing(t, d, 2)
}

func FuzzDecoder(f *testing.F) {
	f.Add(mustEncode(f, Frame{Type: TypePing, RequestID: 1}))
	f.Add(mustEncode(f, Frame{Type: TypeInvoke, RequestID: 2, Meta: []byte(`{"timeoutMs":5}`), Body: []byte("{}")}))
	f.Add([]byte("FAAG\x01\x05\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(bytes.NewReader(data))
		for i := 0; i < 1000; i++ {
			fr, err := d.Next()
			if err == nil {
				// Anything accepted must re-encode to a frame that decodes the same.
				b, eerr := Encode(fr)
				if eerr != nil {
					t.Fatalf("accepted frame does not re-encode: %v", eerr)
				}
				g, gerr := NewDecoder(bytes.NewReader(b)).Next()
				if gerr != nil || g.Type != fr.Type || !bytes.Equal(g.Meta, fr.Meta) || !bytes.Equal(g.Body, fr.Body) {
					t.Fatalf("re-decode mismatch: %v", gerr)
				}
				continue
			}
			var fe *FrameError
			if errors.As(err, &fe) {
				continue
			}
			return // reader exhausted
		}
	})
}

func TestErrorFrameAlwaysEncodes(t *testing.T) {
	huge := string(bytes.Repeat([]byte("\x01<\xff"), 200000))
	f := ErrorFrame(5, CodeCodeLoadFailed, huge, huge)
	if _, err := Encode(f); err != nil {
		t.Fatal(err)
	}
	var em ErrorMeta
	if err := DecodeMeta(f, &em); err != nil || em.Code != CodeCodeLoadFailed || em.Message == "" {
		t.Fatalf("%+v %v", em, err)
	}
}
