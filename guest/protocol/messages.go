package protocol

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Runtimes a LOAD_CODE request can name.
const (
	RuntimeProvided = "provided"
	RuntimePython3  = "python3"
)

// Invocation outcomes (ResultMeta.Status).
const (
	StatusOK            = "ok"
	StatusFunctionError = "function_error"
	StatusTimeout       = "timeout"
)

// Limits on individual fields.
const (
	MinEntropy    = 32   // SET_IDENTITY body: fewest random bytes accepted
	MaxEntropy    = 4096 // SET_IDENTITY body: most random bytes accepted
	StderrTailMax = 4096 // RESULT stderrTail: last bytes of the function's stderr
	MaxTimeoutMs  = 15 * 60 * 1000
)

// Status is the meta of READY (0x81) and PONG (0x82).
type Status struct {
	Protocol     int    `json:"protocol"`
	Agent        string `json:"agent"`
	Runtime      string `json:"runtime"`
	RuntimeReady bool   `json:"runtimeReady"`
	InstanceID   string `json:"instanceId"`
	CodeLoaded   bool   `json:"codeLoaded"`
	Busy         bool   `json:"busy"`
	UptimeMs     int64  `json:"uptimeMs"`
	Connections  uint64 `json:"connections"`
}

// IdentityRequest is the meta of SET_IDENTITY (0x03); the body holds the entropy bytes.
type IdentityRequest struct {
	InstanceID string `json:"instanceId"`
	Hostname   string `json:"hostname"`
	IP         string `json:"ip,omitempty"`
	Prefix     int    `json:"prefix,omitempty"`
	Gateway    string `json:"gateway,omitempty"`
	MAC        string `json:"mac,omitempty"`
	Interface  string `json:"interface,omitempty"`
	UnixTimeMs int64  `json:"unixTimeMs,omitempty"`
}

// Network outcomes in IdentityReply.
const (
	NetworkConfigured   = "configured"
	NetworkNoInterface  = "no_interface"
	NetworkNotRequested = "not_requested"
)

// IdentityReply is the meta of IDENTITY_SET (0x83).
type IdentityReply struct {
	InstanceID      string `json:"instanceId"`
	Hostname        string `json:"hostname"`
	Network         string `json:"network"`
	Interface       string `json:"interface,omitempty"`
	EntropyBytes    int    `json:"entropyBytes"`
	KernelReseeded  bool   `json:"kernelReseeded"`
	RuntimeReseeded bool   `json:"runtimeReseeded"`
	ClockSet        bool   `json:"clockSet"`
	// StepsMicros is how long each step took in the guest, in microseconds (entropy,
	// kernelReseed, runtimeReseed, clock, hostname, network, hosts): where a slow identity goes.
	StepsMicros map[string]int64 `json:"stepsMicros,omitempty"`
}

// LoadCodeRequest is the meta of LOAD_CODE (0x04); the body holds the zip when Path is empty.
// With Share, Path names a directory inside the host's read-only file share of that mount
// tag (the node's cached package, read in place) rather than a guest path.
type LoadCodeRequest struct {
	Runtime         string            `json:"runtime"`
	Handler         string            `json:"handler,omitempty"`
	Env             map[string]string `json:"env,omitempty"`
	Path            string            `json:"path,omitempty"`
	Share           string            `json:"share,omitempty"`
	CodeSha256      string            `json:"codeSha256,omitempty"`
	FunctionName    string            `json:"functionName,omitempty"`
	FunctionVersion string            `json:"functionVersion,omitempty"`
	MemoryMiB       int               `json:"memoryMiB,omitempty"`
}

// LoadCodeReply is the meta of CODE_LOADED (0x84).
type LoadCodeReply struct {
	Runtime string  `json:"runtime"`
	Handler string  `json:"handler,omitempty"`
	CodeDir string  `json:"codeDir"`
	Files   int     `json:"files"`
	Bytes   int64   `json:"bytes"`
	LoadMs  float64 `json:"loadMs"`
	// StepsMicros is how long each step took in the guest, in microseconds: jobStart (frame
	// read to job running), forget (removing the previous package), unpack (digest check and
	// extraction), runtime (the runtime taking the code: python3 imports the handler).
	StepsMicros map[string]int64 `json:"stepsMicros,omitempty"`
}

// InvokeRequest is the meta of INVOKE (0x05); the body holds the event.
type InvokeRequest struct {
	TimeoutMs    int64  `json:"timeoutMs"`
	InvocationID string `json:"invocationId,omitempty"`
}

// ResultMeta is the meta of RESULT (0x85); the body holds the function's response (status ok)
// or whatever it wrote to stdout before failing (provided runtime), else nothing.
type ResultMeta struct {
	Status       string  `json:"status"`
	DurationMs   float64 `json:"durationMs"`
	ErrorType    string  `json:"errorType,omitempty"`
	ErrorMessage string  `json:"errorMessage,omitempty"`
	Trace        string  `json:"trace,omitempty"`
	StderrTail   string  `json:"stderrTail,omitempty"`
	ExitCode     *int    `json:"exitCode,omitempty"`
}

// ShutdownReply is the meta of SHUTDOWN_ACK (0x86).
type ShutdownReply struct {
	PowerOff bool `json:"powerOff"`
}

// ErrorMeta is the meta of ERROR (0xFF).
type ErrorMeta struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  string `json:"detail,omitempty"`
}

// NewFrame builds a frame whose meta is v marshalled as JSON (v may be nil: empty meta).
func NewFrame(t Type, id uint64, v any, body []byte) (Frame, error) {
	f := Frame{Type: t, RequestID: id, Body: body}
	if v != nil {
		m, err := json.Marshal(v)
		if err != nil {
			return Frame{}, fmt.Errorf("marshal %v meta: %w", t, err)
		}
		f.Meta = m
	}
	return f, nil
}

// ErrorFrame builds an ERROR frame answering request id. Message keeps its head, detail
// (e.g. a traceback) its tail; both shrink until the meta fits MaxMeta.
func ErrorFrame(id uint64, code, msg, detail string) Frame {
	for div := 1; ; div *= 2 {
		em := ErrorMeta{Code: code, Message: head(msg, 4096/div), Detail: tail(detail, (32<<10)/div)}
		f, err := NewFrame(TypeError, id, em, nil)
		if err == nil && len(f.Meta) <= MaxMeta || div >= 256 {
			return f
		}
	}
}

// DecodeMeta unmarshals a frame's meta into v. Empty meta decodes as {}.
func DecodeMeta(f Frame, v any) error {
	if len(f.Meta) == 0 {
		return nil
	}
	return json.Unmarshal(f.Meta, v)
}

func head(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func tail(s string, n int) string {
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
