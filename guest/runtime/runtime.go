// Package runtime decides how an invocation of loaded function code runs and what its
// outcome is: ok with a response, a function error, or a timeout.
package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"faaster.dev/guest/protocol"
)

// Code is a loaded function: where its files are and how to call it.
type Code struct {
	Dir             string
	Handler         string
	Env             map[string]string
	FunctionName    string
	FunctionVersion string
	MemoryMiB       int
	InstanceID      string
}

// Invocation is one call of the loaded function.
type Invocation struct {
	ID      string // the platform's invocation id (may be empty)
	Event   []byte
	Timeout time.Duration
}

// Result is an invocation's outcome.
type Result struct {
	Status       string // protocol.StatusOK, StatusFunctionError or StatusTimeout
	Payload      []byte
	ErrorType    string
	ErrorMessage string
	Trace        string
	StderrTail   []byte
	ExitCode     *int
	Duration     time.Duration
}

// Field limits in RESULT meta, so that it always fits protocol.MaxMeta.
const (
	maxErrorType    = 256
	maxErrorMessage = 4096
	maxTrace        = 16 << 10
)

// clip keeps at most n bytes of s (the head, or the tail for traces and logs) as valid UTF-8.
func clip(s string, n int, tail bool) string {
	if len(s) > n {
		if tail {
			s = s[len(s)-n:]
		} else {
			s = s[:n]
		}
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Meta converts r to the RESULT frame's meta, clipping the text fields so the JSON fits
// protocol.MaxMeta even when escaping inflates it (control characters become \u00XX).
func (r Result) Meta() protocol.ResultMeta {
	for div := 1; ; div *= 2 {
		m := protocol.ResultMeta{
			Status:       r.Status,
			DurationMs:   float64(r.Duration.Microseconds()) / 1000,
			ErrorType:    clip(r.ErrorType, maxErrorType/div, false),
			ErrorMessage: clip(r.ErrorMessage, maxErrorMessage/div, false),
			Trace:        clip(r.Trace, maxTrace/div, true),
			StderrTail:   clip(string(r.StderrTail), protocol.StderrTailMax/div, true),
			ExitCode:     r.ExitCode,
		}
		if b, err := json.Marshal(m); err == nil && len(b) <= protocol.MaxMeta || div >= 64 {
			return m
		}
	}
}

// LoadError is a failure to load code; Detail carries e.g. a Python traceback.
type LoadError struct {
	Msg    string
	Detail string
}

func (e *LoadError) Error() string { return e.Msg }

// ErrNotLoaded is returned by Invoke before a successful Load.
var ErrNotLoaded = errors.New("no code loaded")

// Runtime runs loaded code. Implementations serialise calls; the agent runs at most one
// Load or Invoke at a time anyway.
type Runtime interface {
	Name() string
	// Ready reports whether the runtime can load code now (a Python helper is up).
	Ready() bool
	// Load prepares code for invocation. A *LoadError means the code is at fault.
	Load(ctx context.Context, code Code) error
	// Invoke runs the loaded code once; failures of the function are in the Result.
	Invoke(ctx context.Context, inv Invocation) Result
	// Reseed drops randomness cached in long-lived runtime processes; called after the
	// kernel RNG was reseeded for a clone.
	Reseed(ctx context.Context) error
	Close() error
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	buf   []byte
	total int64
}

func newTail(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(p))
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return len(p), nil
	}
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}

// capBuffer keeps the first max bytes and counts the rest, so a chatty process never
// blocks on a full pipe and never makes the agent allocate beyond max.
type capBuffer struct {
	mu    sync.Mutex
	max   int
	buf   []byte
	total int64
}

func (c *capBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total += int64(len(p))
	if room := c.max - len(c.buf); room > 0 {
		if len(p) > room {
			c.buf = append(c.buf, p[:room]...)
		} else {
			c.buf = append(c.buf, p...)
		}
	}
	return len(p), nil
}

func (c *capBuffer) overflow() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total > int64(c.max)
}
