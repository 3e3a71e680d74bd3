package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"faaster.dev/guest/protocol"
)

// BaseEnv is the environment every function process starts from.
var BaseEnv = []string{
	"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
	"HOME=/tmp",
	"LANG=C.UTF-8",
	"TZ=UTC",
}

// Provided runs <code>/bootstrap once per invocation (like Lambda's custom runtime): the
// event on stdin, the response from stdout. A non-zero exit is a function error with the
// stderr tail; a process still running at the deadline has its process group killed.
type Provided struct {
	BaseEnv []string
	// WaitDelay bounds how long output pipes held open by leftover children delay the result.
	WaitDelay time.Duration

	mu   sync.Mutex
	code *Code
}

// NewProvided returns the provided runtime.
func NewProvided() *Provided {
	return &Provided{BaseEnv: BaseEnv, WaitDelay: 100 * time.Millisecond}
}

func (p *Provided) Name() string                     { return protocol.RuntimeProvided }
func (p *Provided) Ready() bool                      { return true }
func (p *Provided) Reseed(ctx context.Context) error { return nil } // a new process per invocation
func (p *Provided) Close() error                     { return nil }

// Load checks that the package has an executable bootstrap.
func (p *Provided) Load(ctx context.Context, code Code) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.code = nil
	bs := filepath.Join(code.Dir, "bootstrap")
	fi, err := os.Stat(bs)
	switch {
	case err != nil:
		return &LoadError{Msg: "code package has no bootstrap: " + err.Error()}
	case !fi.Mode().IsRegular():
		return &LoadError{Msg: "bootstrap is not a regular file"}
	case fi.Mode().Perm()&0o111 == 0:
		return &LoadError{Msg: "bootstrap is not executable (zip it with mode 0755)"}
	}
	c := code
	p.code = &c
	return nil
}

// FunctionEnv is the environment of a function process: base, the function's own
// variables, then the platform's reserved variables (which win).
func FunctionEnv(base []string, code *Code, inv Invocation) []string {
	env := append([]string(nil), base...)
	keys := make([]string, 0, len(code.Env))
	for k := range code.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+code.Env[k])
	}
	return append(env,
		"FAASTER_CODE_DIR="+code.Dir,
		"_HANDLER="+code.Handler,
		"FAASTER_FUNCTION_NAME="+code.FunctionName,
		"FAASTER_FUNCTION_VERSION="+code.FunctionVersion,
		"FAASTER_MEMORY_MIB="+strconv.Itoa(code.MemoryMiB),
		"FAASTER_INSTANCE_ID="+code.InstanceID,
		"FAASTER_INVOCATION_ID="+inv.ID,
		"FAASTER_TIMEOUT_MS="+strconv.FormatInt(inv.Timeout.Milliseconds(), 10),
	)
}

// Invoke runs bootstrap once.
func (p *Provided) Invoke(ctx context.Context, inv Invocation) Result {
	p.mu.Lock()
	code := p.code
	p.mu.Unlock()
	if code == nil {
		return Result{Status: protocol.StatusFunctionError, ErrorType: "Runtime.NoCode", ErrorMessage: ErrNotLoaded.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, inv.Timeout)
	defer cancel()

	stdout := &capBuffer{max: protocol.MaxBody}
	stderr := newTail(protocol.StderrTailMax)
	outPipe, err := newOutputPipe(stdout)
	if err != nil {
		return Result{Status: protocol.StatusFunctionError, ErrorType: "Runtime.StartError", ErrorMessage: err.Error()}
	}
	errPipe, err := newOutputPipe(stderr)
	if err != nil {
		outPipe.abandon()
		return Result{Status: protocol.StatusFunctionError, ErrorType: "Runtime.StartError", ErrorMessage: err.Error()}
	}
	cmd := exec.CommandContext(ctx, filepath.Join(code.Dir, "bootstrap"))
	cmd.Dir = code.Dir
	cmd.Env = FunctionEnv(p.BaseEnv, code, inv)
	cmd.Stdin = bytes.NewReader(inv.Event)
	cmd.Stdout = outPipe.w
	cmd.Stderr = errPipe.w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Only the event's copy to stdin is a goroutine of exec's now: a leftover child holding stdin
	// without reading it must not hold the result.
	cmd.WaitDelay = p.WaitDelay

	start := time.Now()
	if err = cmd.Start(); err != nil {
		outPipe.abandon()
		errPipe.abandon()
	} else {
		outPipe.started(p.WaitDelay)
		errPipe.started(p.WaitDelay)
		err = cmd.Wait()
		finish(outPipe, errPipe)
	}
	res := Result{Duration: time.Since(start), StderrTail: stderr.Bytes()}
	if cmd.Process != nil {
		// Whatever the function left running in its group goes with it.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil // exited; a leftover child kept stdin open and was killed
	}
	if cmd.ProcessState != nil {
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
			code := ws.ExitStatus()
			if ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
			res.ExitCode = &code
		}
	}
	switch {
	case err == nil:
		if stdout.overflow() {
			res.Status = protocol.StatusFunctionError
			res.ErrorType = "Runtime.ResponseTooLarge"
			res.ErrorMessage = fmt.Sprintf("response of %d bytes exceeds %d", stdout.total, protocol.MaxBody)
			return res
		}
		res.Status = protocol.StatusOK
		res.Payload = stdout.buf
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		res.Status = protocol.StatusTimeout
		res.ErrorType = "Runtime.Timeout"
		res.ErrorMessage = fmt.Sprintf("task timed out after %d ms", inv.Timeout.Milliseconds())
		res.Payload = stdout.buf
	case ctx.Err() != nil:
		res.Status = protocol.StatusFunctionError
		res.ErrorType = "Runtime.Cancelled"
		res.ErrorMessage = "invocation cancelled (agent shutting down)"
	default:
		res.Status = protocol.StatusFunctionError
		res.Payload = stdout.buf
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			res.ErrorType = "Runtime.ExitError"
			res.ErrorMessage = "bootstrap " + ee.ProcessState.String()
		} else {
			res.ErrorType = "Runtime.StartError"
			res.ErrorMessage = err.Error()
		}
	}
	return res
}
