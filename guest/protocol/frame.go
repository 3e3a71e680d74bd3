// Package protocol decides how bytes on the host<->guest agent channel become frames and back:
// a fixed 24-byte header (magic, version, type, request id, payload length, header CRC-32)
// followed by a payload of a JSON meta object and a raw body. PROTOCOL.md is the specification.
package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Wire constants. Changing any of them is a protocol version change.
const (
	// Magic is the first four bytes of every frame: "FAAG" (faaster agent).
	Magic uint32 = 0x46414147
	// Version is the protocol version this package speaks.
	Version byte = 1
	// HeaderSize is the fixed size of a frame header in bytes.
	HeaderSize = 24
	// MaxMeta is the largest meta (JSON) section in bytes.
	MaxMeta = 64 << 10
	// MaxBody is the largest body in bytes: the platform's invoke payload limit (6 MiB).
	MaxBody = 6 << 20
	// MaxPayload is the largest payload (meta length field + meta + body) in bytes.
	MaxPayload = 4 + MaxMeta + MaxBody
	// MaxFrame is the largest frame on the wire in bytes.
	MaxFrame = HeaderSize + MaxPayload
)

// Type is the one-byte message type. Requests (host -> agent) are below 0x80; the reply to
// request type t is t|0x80. ERROR (0xFF) can answer any request.
type Type byte

// Message types.
const (
	TypeReady       Type = 0x01 // host asks the agent to announce itself
	TypePing        Type = 0x02
	TypeSetIdentity Type = 0x03
	TypeLoadCode    Type = 0x04
	TypeInvoke      Type = 0x05
	TypeShutdown    Type = 0x06

	TypeReadyReply    Type = 0x81 // READY: also sent unsolicited with request id 0
	TypePong          Type = 0x82
	TypeIdentitySet   Type = 0x83
	TypeCodeLoaded    Type = 0x84
	TypeResult        Type = 0x85
	TypeShutdownReply Type = 0x86
	TypeError         Type = 0xFF
)

var typeNames = map[Type]string{
	TypeReady: "READY?", TypePing: "PING", TypeSetIdentity: "SET_IDENTITY", TypeLoadCode: "LOAD_CODE",
	TypeInvoke: "INVOKE", TypeShutdown: "SHUTDOWN",
	TypeReadyReply: "READY", TypePong: "PONG", TypeIdentitySet: "IDENTITY_SET",
	TypeCodeLoaded: "CODE_LOADED", TypeResult: "RESULT", TypeShutdownReply: "SHUTDOWN_ACK",
	TypeError: "ERROR",
}

func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("Type(0x%02x)", byte(t))
}

// Known reports whether t is a message type of this protocol version.
func (t Type) Known() bool { _, ok := typeNames[t]; return ok }

// IsRequest reports whether t is sent by the host.
func (t Type) IsRequest() bool { return t < 0x80 }

// Reply is the reply type for request type t.
func (t Type) Reply() Type { return t | 0x80 }

// Header is a decoded frame header.
type Header struct {
	Version    byte
	Type       Type
	Flags      uint16
	RequestID  uint64
	PayloadLen uint32
}

// Frame is one message: its type, request id, meta (a JSON object, may be empty) and body.
type Frame struct {
	Type      Type
	RequestID uint64
	Meta      []byte
	Body      []byte
}

// Sentinel errors; decoding errors wrap one of them so callers can map them to ERROR codes.
var (
	ErrBadMagic           = errors.New("bad magic")
	ErrBadHeaderCRC       = errors.New("header CRC mismatch")
	ErrUnsupportedVersion = errors.New("unsupported protocol version")
	ErrFrameTooLarge      = errors.New("frame too large")
	ErrBadPayload         = errors.New("malformed payload")
	ErrUnknownType        = errors.New("unknown message type")
)

var crcTable = crc32.IEEETable

// PutHeader writes h into b[:HeaderSize], including the magic and the header CRC.
func PutHeader(b []byte, h Header) {
	_ = b[HeaderSize-1]
	binary.BigEndian.PutUint32(b[0:4], Magic)
	b[4] = h.Version
	b[5] = byte(h.Type)
	binary.BigEndian.PutUint16(b[6:8], h.Flags)
	binary.BigEndian.PutUint64(b[8:16], h.RequestID)
	binary.BigEndian.PutUint32(b[16:20], h.PayloadLen)
	binary.BigEndian.PutUint32(b[20:24], crc32.Checksum(b[0:20], crcTable))
}

// ParseHeader checks magic and CRC of b[:HeaderSize] and decodes it. It does not check the
// version, type or length: the caller decides what to do with a well-formed header it can't
// serve (see Decoder).
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("%w: %d header bytes", ErrBadPayload, len(b))
	}
	if binary.BigEndian.Uint32(b[0:4]) != Magic {
		return Header{}, ErrBadMagic
	}
	if crc32.Checksum(b[0:20], crcTable) != binary.BigEndian.Uint32(b[20:24]) {
		return Header{}, ErrBadHeaderCRC
	}
	return Header{
		Version:    b[4],
		Type:       Type(b[5]),
		Flags:      binary.BigEndian.Uint16(b[6:8]),
		RequestID:  binary.BigEndian.Uint64(b[8:16]),
		PayloadLen: binary.BigEndian.Uint32(b[16:20]),
	}, nil
}

// Encode returns f as wire bytes. It fails if meta or body exceed the limits.
func Encode(f Frame) ([]byte, error) {
	if len(f.Meta) > MaxMeta {
		return nil, fmt.Errorf("%w: meta %d bytes > %d", ErrFrameTooLarge, len(f.Meta), MaxMeta)
	}
	if len(f.Body) > MaxBody {
		return nil, fmt.Errorf("%w: body %d bytes > %d", ErrFrameTooLarge, len(f.Body), MaxBody)
	}
	payloadLen := 0
	if len(f.Meta) > 0 || len(f.Body) > 0 {
		payloadLen = 4 + len(f.Meta) + len(f.Body)
	}
	b := make([]byte, HeaderSize+payloadLen)
	PutHeader(b, Header{Version: Version, Type: f.Type, RequestID: f.RequestID, PayloadLen: uint32(payloadLen)})
	if payloadLen > 0 {
		binary.BigEndian.PutUint32(b[HeaderSize:HeaderSize+4], uint32(len(f.Meta)))
		copy(b[HeaderSize+4:], f.Meta)
		copy(b[HeaderSize+4+len(f.Meta):], f.Body)
	}
	return b, nil
}

// SplitPayload splits a payload into meta and body (sharing p's memory).
func SplitPayload(p []byte) (meta, body []byte, err error) {
	if len(p) == 0 {
		return nil, nil, nil
	}
	if len(p) < 4 {
		return nil, nil, fmt.Errorf("%w: payload of %d bytes has no meta length", ErrBadPayload, len(p))
	}
	m := binary.BigEndian.Uint32(p[0:4])
	if m > MaxMeta {
		return nil, nil, fmt.Errorf("%w: meta length %d > %d", ErrBadPayload, m, MaxMeta)
	}
	if uint64(m) > uint64(len(p)-4) {
		return nil, nil, fmt.Errorf("%w: meta length %d exceeds payload (%d bytes)", ErrBadPayload, m, len(p)-4)
	}
	meta, body = p[4:4+m], p[4+m:]
	if len(body) > MaxBody {
		return nil, nil, fmt.Errorf("%w: body %d bytes > %d", ErrBadPayload, len(body), MaxBody)
	}
	return meta, body, nil
}
