// Package client is the host side of the guest agent protocol for tools and tests: one
// request at a time over a connected stream (the unix socket QEMU exposes for the
// virtio-serial port). The platform's own host side is written in Java against PROTOCOL.md.
package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"faaster.dev/guest/protocol"
)

// RemoteError is an ERROR frame from the agent.
type RemoteError struct {
	protocol.ErrorMeta
	RequestID uint64
}

func (e *RemoteError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("agent error %s: %s\n%s", e.Code, e.Message, e.Detail)
	}
	return fmt.Sprintf("agent error %s: %s", e.Code, e.Message)
}

// Client talks to one agent.
type Client struct {
	rw     io.ReadWriter
	conn   net.Conn // nil when built from a plain stream
	enc    *protocol.Encoder
	dec    *protocol.Decoder
	nextID uint64
	// Ready holds the last READY the agent announced (unsolicited or answered).
	Ready *protocol.Status
	// Stray receives frames that answer no pending request (e.g. a RESULT for a request
	// of a previous connection); nil drops them.
	Stray func(protocol.Frame)
}

// New wraps a connected stream.
func New(rw io.ReadWriter) *Client {
	c := &Client{rw: rw, enc: protocol.NewEncoder(rw), dec: protocol.NewDecoder(rw), nextID: uint64(time.Now().UnixNano())}
	if nc, ok := rw.(net.Conn); ok {
		c.conn = nc
	}
	return c
}

// Dial connects to the unix socket at path, retrying until ctx ends while the socket does
// not exist yet or refuses (QEMU still starting).
func Dial(ctx context.Context, path string) (*Client, error) {
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "unix", path)
		if err == nil {
			return New(conn), nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connect %s: %w (last error: %v)", path, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Close closes the connection.
func (c *Client) Close() error {
	if cl, ok := c.rw.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

func (c *Client) setDeadline(ctx context.Context) func() {
	if c.conn == nil {
		return func() {}
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Now()) })
	return func() { stop(); _ = c.conn.SetDeadline(time.Time{}) }
}

// Send writes a request with a fresh id and returns the id.
func (c *Client) Send(t protocol.Type, meta any, body []byte) (uint64, error) {
	c.nextID++
	f, err := protocol.NewFrame(t, c.nextID, meta, body)
	if err != nil {
		return 0, err
	}
	return c.nextID, c.enc.Write(f)
}

// Receive reads the next frame, recording unsolicited READYs. Frame errors from the
// decoder (garbage on the stream) are returned as errors the caller may skip.
func (c *Client) Receive(ctx context.Context) (protocol.Frame, error) {
	defer c.setDeadline(ctx)()
	return c.dec.Next()
}

// Await reads frames until the reply to id arrives. An ERROR reply is returned with a
// *RemoteError.
func (c *Client) Await(ctx context.Context, id uint64) (protocol.Frame, error) {
	defer c.setDeadline(ctx)()
	for {
		f, err := c.dec.Next()
		if err != nil {
			var fe *protocol.FrameError
			if errors.As(err, &fe) {
				continue // resynchronised; the reply may still come
			}
			return f, err
		}
		if f.Type == protocol.TypeReadyReply {
			var st protocol.Status
			if protocol.DecodeMeta(f, &st) == nil {
				c.Ready = &st
			}
		}
		if f.RequestID != id || (id == 0 && f.Type != protocol.TypeReadyReply) {
			if c.Stray != nil && f.RequestID != 0 {
				c.Stray(f)
			}
			continue
		}
		if f.Type == protocol.TypeError {
			re := &RemoteError{RequestID: f.RequestID}
			_ = protocol.DecodeMeta(f, &re.ErrorMeta)
			return f, re
		}
		return f, nil
	}
}

// Call sends a request and waits for its reply.
func (c *Client) Call(ctx context.Context, t protocol.Type, meta any, body []byte) (protocol.Frame, error) {
	id, err := c.Send(t, meta, body)
	if err != nil {
		return protocol.Frame{}, err
	}
	return c.Await(ctx, id)
}

// WaitReady asks the agent for READY and returns the first READY that arrives, answered or
// unsolicited (an agent that just started, or whose host reconnected, announces itself).
func (c *Client) WaitReady(ctx context.Context) (protocol.Status, error) {
	id, err := c.Send(protocol.TypeReady, nil, nil)
	if err != nil {
		return protocol.Status{}, err
	}
	defer c.setDeadline(ctx)()
	for {
		f, err := c.dec.Next()
		if err != nil {
			var fe *protocol.FrameError
			if errors.As(err, &fe) {
				continue
			}
			return protocol.Status{}, err
		}
		if f.Type == protocol.TypeReadyReply && (f.RequestID == 0 || f.RequestID == id) {
			var st protocol.Status
			if err := protocol.DecodeMeta(f, &st); err != nil {
				return st, err
			}
			c.Ready = &st
			return st, nil
		}
	}
}

// Reply decodes a reply's meta into v.
func Reply(f protocol.Frame, v any) error { return protocol.DecodeMeta(f, v) }

// RawWrite writes bytes as they are, for tests of the agent's handling of malformed input.
func (c *Client) RawWrite(b []byte) (int, error) { return c.rw.Write(b) }
