package runtime

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"faaster.dev/guest/protocol"
)

// Python keeps one long-lived helper process (bootstrap.py) that imports the handler on Load
// and calls it on Invoke. The agent starts it before announcing READY, so a template
// snapshot holds an interpreter that is already up. A helper that times out or dies is
// killed and restarted in the background, and the loaded code is imported again.
//
// Agent <-> helper pipe protocol (helper fd 3 reads requests, fd 4 writes replies), each
// message: u32 BE header length, header (JSON object), u32 BE body length, body.
type Python struct {
	Interpreter  string   // e.g. /usr/bin/python3.11
	Script       string   // bootstrap.py
	Args         []string // interpreter flags before the script
	Env          []string
	StartTimeout time.Duration
	LoadTimeout  time.Duration
	// Output receives the helper's own stdout/stderr (not the function's, which the helper
	// captures per invocation); its tail is also kept for crash reports.
	Output io.Writer
	Logf   func(format string, args ...any)

	mu     sync.Mutex
	h      *pyHelper
	code   *Code
	output *tailBuffer
}

// NewPython returns the python3 runtime (not started).
func NewPython(interpreter, script string) *Python {
	return &Python{
		Interpreter: interpreter,
		Script:      script,
		// -B: a function's code is read in place from a read-only share; trying to write its
		// bytecode there costs a refused file-system round trip per module, for nothing.
		Args:         []string{"-I", "-S", "-u", "-B"},
		Env:          BaseEnv,
		StartTimeout: 60 * time.Second,
		LoadTimeout:  60 * time.Second,
		Output:       os.Stderr,
		Logf:         func(string, ...any) {},
		output:       newTail(protocol.StderrTailMax),
	}
}

type pyHelper struct {
	cmd  *exec.Cmd
	w    *os.File // our end of the helper's fd 3
	r    *os.File // our end of the helper's fd 4
	br   *bufio.Reader
	info map[string]any
}

func (p *Python) Name() string { return protocol.RuntimePython3 }

// Ready reports whether the helper is up.
func (p *Python) Ready() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.h != nil
}

// Start launches the helper and waits for its ready message.
func (p *Python) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ensure(ctx, false)
}

// ensure starts the helper if none runs and, with reload, re-imports the loaded code into
// the new one. Caller holds p.mu.
func (p *Python) ensure(ctx context.Context, reload bool) error {
	if p.h != nil {
		return nil
	}
	h, err := p.spawn()
	if err != nil {
		return err
	}
	p.h = h
	if reload && p.code != nil {
		if err := p.load(ctx, *p.code, false); err != nil {
			p.Logf("python: re-importing %s after restart: %v", p.code.Handler, err)
			return err
		}
	}
	return nil
}

func (p *Python) spawn() (*pyHelper, error) {
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, err
	}
	cmd := exec.Command(p.Interpreter, append(append([]string(nil), p.Args...), p.Script)...)
	cmd.Env = p.Env
	cmd.Dir = "/"
	out := io.Writer(p.output)
	if p.Output != nil {
		out = io.MultiWriter(p.Output, p.output)
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.ExtraFiles = []*os.File{reqR, repW} // fd 3, fd 4
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	err = cmd.Start()
	reqR.Close()
	repW.Close()
	if err != nil {
		reqW.Close()
		repR.Close()
		return nil, fmt.Errorf("start python helper: %w", err)
	}
	h := &pyHelper{cmd: cmd, w: reqW, r: repR, br: bufio.NewReader(repR)}
	go func() { _ = cmd.Wait() }() // reap; pipes tell us it died
	hdr, _, err := h.read(time.Now().Add(p.StartTimeout))
	if err != nil || hdr["op"] != "ready" {
		h.kill()
		return nil, fmt.Errorf("python helper did not get ready: %v %v; output: %s", err, hdr, p.output.Bytes())
	}
	h.info = hdr
	p.Logf("python helper pid %d ready in %v (python %v)", cmd.Process.Pid, time.Since(start).Round(time.Millisecond), hdr["python"])
	return h, nil
}

func (h *pyHelper) kill() {
	if h.cmd.Process != nil {
		_ = syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
	}
	h.w.Close()
	h.r.Close()
}

func (h *pyHelper) write(hdr map[string]any, body []byte, deadline time.Time) error {
	hb, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	msg := make([]byte, 0, 8+len(hb)+len(body))
	msg = binary.BigEndian.AppendUint32(msg, uint32(len(hb)))
	msg = append(msg, hb...)
	msg = binary.BigEndian.AppendUint32(msg, uint32(len(body)))
	msg = append(msg, body...)
	_ = h.w.SetWriteDeadline(deadline)
	_, err = h.w.Write(msg)
	return err
}

const maxHelperMessage = protocol.MaxBody + protocol.MaxMeta

func (h *pyHelper) read(deadline time.Time) (map[string]any, []byte, error) {
	_ = h.r.SetReadDeadline(deadline)
	readBlock := func() ([]byte, error) {
		var n [4]byte
		if _, err := io.ReadFull(h.br, n[:]); err != nil {
			return nil, err
		}
		size := binary.BigEndian.Uint32(n[:])
		if size > maxHelperMessage {
			return nil, fmt.Errorf("helper message of %d bytes", size)
		}
		b := make([]byte, size)
		_, err := io.ReadFull(h.br, b)
		return b, err
	}
	hb, err := readBlock()
	if err != nil {
		return nil, nil, err
	}
	body, err := readBlock()
	if err != nil {
		return nil, nil, err
	}
	var hdr map[string]any
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, nil, fmt.Errorf("helper header: %w", err)
	}
	return hdr, body, nil
}

// call sends one request and waits for its reply until deadline or ctx ends.
func (h *pyHelper) call(ctx context.Context, hdr map[string]any, body []byte, deadline time.Time) (map[string]any, []byte, error) {
	stop := context.AfterFunc(ctx, func() { _ = h.r.SetReadDeadline(time.Now()) })
	defer stop()
	if err := h.write(hdr, body, deadline); err != nil {
		return nil, nil, err
	}
	return h.read(deadline)
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// drop kills the helper after a failure and, with restart, starts a new one (re-importing
// the loaded code) in the background. Caller holds p.mu.
func (p *Python) drop(reason string, restart bool) {
	if p.h == nil {
		return
	}
	p.Logf("python helper: %s; killed", reason)
	p.h.kill()
	p.h = nil
	if !restart {
		return
	}
	go func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if err := p.ensure(context.Background(), true); err != nil {
			p.Logf("python helper restart: %v", err)
		}
	}()
}

// Load imports the handler ("module.function") from code.Dir in the helper.
func (p *Python) Load(ctx context.Context, code Code) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.ensure(ctx, false); err != nil {
		return err
	}
	if err := p.load(ctx, code, true); err != nil {
		p.code = nil // the helper forgot the previous handler when this import started
		return err
	}
	c := code
	p.code = &c
	return nil
}

func (p *Python) load(ctx context.Context, code Code, restartOnFailure bool) error {
	env := code.Env
	if env == nil {
		env = map[string]string{}
	}
	req := map[string]any{"op": "load", "codeDir": code.Dir, "handler": code.Handler, "env": env}
	rep, _, err := p.h.call(ctx, req, nil, time.Now().Add(p.LoadTimeout))
	if err != nil {
		p.drop("load: "+err.Error(), restartOnFailure)
		return &LoadError{Msg: "python helper failed while importing " + code.Handler + ": " + err.Error(), Detail: string(p.output.Bytes())}
	}
	if str(rep, "status") != "ok" {
		return &LoadError{Msg: str(rep, "errorType") + ": " + str(rep, "errorMessage"), Detail: str(rep, "trace")}
	}
	return nil
}

// Invoke calls the loaded handler once.
func (p *Python) Invoke(ctx context.Context, inv Invocation) Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	start := time.Now()
	if p.code == nil {
		return Result{Status: protocol.StatusFunctionError, ErrorType: "Runtime.NoCode", ErrorMessage: ErrNotLoaded.Error()}
	}
	if err := p.ensure(ctx, true); err != nil {
		return Result{Status: protocol.StatusFunctionError, ErrorType: "Runtime.Unavailable", ErrorMessage: err.Error(), Duration: time.Since(start)}
	}
	req := map[string]any{
		"op": "invoke", "invocationId": inv.ID, "timeoutMs": inv.Timeout.Milliseconds(),
		"functionName": p.code.FunctionName, "functionVersion": p.code.FunctionVersion,
		"memoryMiB": p.code.MemoryMiB, "instanceId": p.code.InstanceID,
	}
	deadline := start.Add(inv.Timeout)
	rep, body, err := p.h.call(ctx, req, inv.Event, deadline)
	res := Result{Duration: time.Since(start)}
	if err != nil {
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil:
			res.Status = protocol.StatusTimeout
			res.ErrorType = "Runtime.Timeout"
			res.ErrorMessage = fmt.Sprintf("task timed out after %d ms", inv.Timeout.Milliseconds())
		case ctx.Err() != nil:
			res.Status = protocol.StatusFunctionError
			res.ErrorType = "Runtime.Cancelled"
			res.ErrorMessage = "invocation cancelled (agent shutting down)"
		default:
			res.Status = protocol.StatusFunctionError
			res.ErrorType = "Runtime.ExitError"
			res.ErrorMessage = "python runtime exited during the invocation: " + err.Error()
			time.Sleep(20 * time.Millisecond) // let the dying helper's last output arrive
			res.StderrTail = p.output.Bytes()
		}
		p.drop(res.ErrorType, true)
		return res
	}
	res.StderrTail = []byte(str(rep, "logTail"))
	switch str(rep, "status") {
	case "ok":
		res.Status = protocol.StatusOK
		res.Payload = body
	default:
		res.Status = protocol.StatusFunctionError
		res.ErrorType = str(rep, "errorType")
		res.ErrorMessage = str(rep, "errorMessage")
		res.Trace = str(rep, "trace")
	}
	return res
}

// Reseed has the helper reseed Python's random module from the (reseeded) kernel.
func (p *Python) Reseed(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == nil {
		return nil // a helper started later seeds itself from the kernel
	}
	rep, _, err := p.h.call(ctx, map[string]any{"op": "reseed"}, nil, time.Now().Add(5*time.Second))
	if err != nil {
		p.drop("reseed: "+err.Error(), true)
		return err
	}
	if str(rep, "status") != "ok" {
		return fmt.Errorf("python reseed: %s", str(rep, "errorMessage"))
	}
	return nil
}

// Close kills the helper.
func (p *Python) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h != nil {
		p.h.kill()
		p.h = nil
	}
	return nil
}
