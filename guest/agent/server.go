// Package agent decides what the guest does with each frame from the host: it answers
// READY and PING at once, runs SET_IDENTITY, LOAD_CODE and INVOKE one at a time, and turns
// every malformed frame into an ERROR reply without ever stopping to serve.
package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"faaster.dev/guest/codepkg"
	"faaster.dev/guest/identity"
	"faaster.dev/guest/protocol"
	"faaster.dev/guest/runtime"
)

// IdentityApplier applies SET_IDENTITY (identity.Applier in the guest, a fake in tests).
type IdentityApplier interface {
	Apply(req protocol.IdentityRequest, entropy []byte) (protocol.IdentityReply, error)
}

// Config wires the server to the guest.
type Config struct {
	Version  string
	Runtime  string                     // the image's runtime, reported in READY
	Runtimes map[string]runtime.Runtime // runtimes LOAD_CODE may name
	Identity IdentityApplier
	CodeRoot string // per-instance code directories go below it
	// ShareRoot is where host file shares named by LOAD_CODE's share are mounted, one
	// directory per mount tag; Mount mounts one (9p over virtio in the guest, a fake in tests).
	// Nil Mount: LOAD_CODE with a share is refused.
	ShareRoot string
	Mount     func(tag, dir string) error
	Limits    codepkg.Limits
	// PowerOff ends the VM after SHUTDOWN was acknowledged; nil only acknowledges.
	PowerOff func() error
	Logf     func(format string, args ...any)
}

// ErrShutdown is returned by Serve after a SHUTDOWN request was acknowledged.
var ErrShutdown = errors.New("shutdown requested")

// DefaultTimeout applies to an INVOKE whose timeoutMs is 0.
const DefaultTimeout = 3 * time.Second

type loaded struct {
	rt    runtime.Runtime
	code  runtime.Code
	owned bool // the agent extracted Dir and removes it when replaced
}

// Server is the agent's protocol engine. One Serve call runs per host connection; state
// (identity, loaded code) survives reconnections.
type Server struct {
	cfg   Config
	start time.Time

	ctx    context.Context // cancelled by SHUTDOWN: ends running jobs
	cancel context.CancelFunc

	mu          sync.Mutex
	mounted     map[string]bool // share tags mounted under ShareRoot
	instanceID  string
	code        *loaded
	busy        bool
	connections uint64
	seq         int
	jobs        sync.WaitGroup
}

// New returns a server.
func New(cfg Config) *Server {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Limits == (codepkg.Limits{}) {
		cfg.Limits = codepkg.DefaultLimits
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{cfg: cfg, start: time.Now(), ctx: ctx, cancel: cancel}
}

// Status is what READY and PONG report.
func (s *Server) Status() protocol.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	ready := false
	if rt, ok := s.cfg.Runtimes[s.cfg.Runtime]; ok {
		ready = rt.Ready()
	}
	return protocol.Status{
		Protocol: int(protocol.Version), Agent: s.cfg.Version, Runtime: s.cfg.Runtime,
		RuntimeReady: ready, InstanceID: s.instanceID, CodeLoaded: s.code != nil, Busy: s.busy,
		UptimeMs: time.Since(s.start).Milliseconds(), Connections: s.connections,
	}
}

// conn is one host connection's writer.
type conn struct {
	enc  *protocol.Encoder
	logf func(string, ...any)
}

func (c *conn) send(f protocol.Frame) {
	if err := c.enc.Write(f); err != nil {
		c.logf("send %v (request %d): %v", f.Type, f.RequestID, err)
	}
}

func (c *conn) reply(req protocol.Frame, t protocol.Type, meta any, body []byte) {
	f, err := protocol.NewFrame(t, req.RequestID, meta, body)
	if err != nil {
		c.send(protocol.ErrorFrame(req.RequestID, protocol.CodeInternal, err.Error(), ""))
		return
	}
	if err := c.enc.Write(f); err != nil {
		if errors.Is(err, protocol.ErrFrameTooLarge) {
			c.send(protocol.ErrorFrame(req.RequestID, protocol.CodeInternal, err.Error(), ""))
			return
		}
		c.logf("send %v (request %d): %v", t, req.RequestID, err)
	}
}

func (c *conn) fail(id uint64, code, msg, detail string) {
	c.send(protocol.ErrorFrame(id, code, msg, detail))
}

// Serve announces READY (request id 0) on rw, then serves frames from it until reading
// fails; it returns that error (io.EOF when the host went away) or ErrShutdown. On a
// virtio-serial port the READY write blocks until a host is connected.
func (s *Server) Serve(rw io.ReadWriter) error {
	c := &conn{enc: protocol.NewEncoder(rw), logf: s.cfg.Logf}
	s.mu.Lock()
	s.connections++
	s.mu.Unlock()
	ready, _ := protocol.NewFrame(protocol.TypeReadyReply, 0, s.Status(), nil)
	if err := c.enc.Write(ready); err != nil {
		return fmt.Errorf("announce READY: %w", err)
	}
	dec := protocol.NewDecoder(rw)
	for {
		f, err := dec.Next()
		if err != nil {
			var fe *protocol.FrameError
			if errors.As(err, &fe) {
				s.cfg.Logf("rejected frame: %v", fe)
				c.fail(fe.RequestID, fe.Code, fe.Err.Error(), "")
				continue
			}
			return err
		}
		if s.handle(c, f) {
			return ErrShutdown
		}
	}
}

func decodeMeta(c *conn, f protocol.Frame, v any) bool {
	if err := protocol.DecodeMeta(f, v); err != nil {
		c.fail(f.RequestID, protocol.CodeBadMeta, fmt.Sprintf("%v meta: %v", f.Type, err), "")
		return false
	}
	return true
}

// handle serves one frame; true means the agent is shutting down.
func (s *Server) handle(c *conn, f protocol.Frame) bool {
	switch f.Type {
	case protocol.TypeReady:
		c.reply(f, protocol.TypeReadyReply, s.Status(), nil)
	case protocol.TypePing:
		c.reply(f, protocol.TypePong, s.Status(), nil)
	case protocol.TypeSetIdentity:
		var req protocol.IdentityRequest
		if decodeMeta(c, f, &req) {
			received := time.Now()
			s.job(c, f, func(ctx context.Context) func() { return s.setIdentity(c, f, req, received) })
		}
	case protocol.TypeLoadCode:
		var req protocol.LoadCodeRequest
		if decodeMeta(c, f, &req) {
			if rt, ok := s.checkLoad(c, f, req); ok {
				received := time.Now()
				s.job(c, f, func(ctx context.Context) func() { return s.loadCode(ctx, c, f, req, rt, received) })
			}
		}
	case protocol.TypeInvoke:
		var req protocol.InvokeRequest
		if decodeMeta(c, f, &req) {
			s.invoke(c, f, req)
		}
	case protocol.TypeShutdown:
		s.shutdown(c, f)
		return true
	default:
		c.fail(f.RequestID, protocol.CodeInvalidRequest, fmt.Sprintf("%v is not a request the agent serves", f.Type), "")
	}
	return false
}

// job runs fn in the background unless another job runs; READY and PING stay answered.
// fn returns the reply to send: the agent is marked idle before it goes out, so a host
// may send its next request as soon as it has the reply.
func (s *Server) job(c *conn, f protocol.Frame, fn func(ctx context.Context) (reply func())) bool {
	s.mu.Lock()
	if s.busy {
		s.mu.Unlock()
		c.fail(f.RequestID, protocol.CodeBusy, fmt.Sprintf("another request is running; %v refused", f.Type), "")
		return false
	}
	s.busy = true
	s.jobs.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.jobs.Done()
		reply := fn(s.ctx)
		s.mu.Lock()
		s.busy = false
		s.mu.Unlock()
		reply()
	}()
	return true
}

func (s *Server) setIdentity(c *conn, f protocol.Frame, req protocol.IdentityRequest, received time.Time) func() {
	started := time.Now()
	if s.cfg.Identity == nil {
		return func() { c.fail(f.RequestID, protocol.CodeIdentityFailed, "identity not supported here", "") }
	}
	if err := identity.Validate(req, f.Body); err != nil {
		return func() { c.fail(f.RequestID, protocol.CodeInvalidRequest, err.Error(), "") }
	}
	rep, err := s.cfg.Identity.Apply(req, f.Body)
	if err != nil {
		d, _ := json.Marshal(rep)
		return func() { c.fail(f.RequestID, protocol.CodeIdentityFailed, err.Error(), "applied so far: "+string(d)) }
	}
	if rep.StepsMicros != nil {
		// Frame read to job running: a goroutine start, which a just-restored guest may make slow.
		rep.StepsMicros["jobStart"] = started.Sub(received).Microseconds()
	}
	s.mu.Lock()
	s.instanceID = req.InstanceID
	s.mu.Unlock()
	s.cfg.Logf("identity: instance %s host %s network %s", rep.InstanceID, rep.Hostname, rep.Network)
	return func() { c.reply(f, protocol.TypeIdentitySet, rep, nil) }
}

func validEnvKey(k string) bool {
	return k != "" && !strings.ContainsAny(k, "=\x00")
}

func (s *Server) checkLoad(c *conn, f protocol.Frame, req protocol.LoadCodeRequest) (runtime.Runtime, bool) {
	rt, ok := s.cfg.Runtimes[req.Runtime]
	if !ok {
		c.fail(f.RequestID, protocol.CodeRuntimeUnavailable, fmt.Sprintf("runtime %q is not in this image (image runtime %s)", req.Runtime, s.cfg.Runtime), "")
		return nil, false
	}
	var problems []string
	if (req.Path == "") == (len(f.Body) == 0) {
		problems = append(problems, "exactly one of path and body (zip bytes) must be given")
	}
	if req.Share != "" {
		if !validShareTag(req.Share) {
			problems = append(problems, fmt.Sprintf("share %q must be 1..31 letters, digits, '.', '_' or '-'", req.Share))
		}
		if req.Path == "" || !filepath.IsLocal(req.Path) {
			problems = append(problems, "path in a share must be relative and stay inside it")
		}
	} else if req.Path != "" && !filepath.IsAbs(req.Path) {
		problems = append(problems, "path must be absolute")
	}
	if req.Runtime == protocol.RuntimePython3 && !strings.Contains(strings.Trim(req.Handler, "."), ".") {
		problems = append(problems, fmt.Sprintf("python3 handler %q must be module.function", req.Handler))
	}
	for k, v := range req.Env {
		if !validEnvKey(k) || strings.ContainsRune(v, 0) {
			problems = append(problems, fmt.Sprintf("env %q is not a valid variable", k))
		}
	}
	if req.CodeSha256 != "" {
		if b, err := hex.DecodeString(req.CodeSha256); err != nil || len(b) != sha256.Size {
			problems = append(problems, "codeSha256 must be 64 hex digits")
		}
	}
	if len(problems) > 0 {
		c.fail(f.RequestID, protocol.CodeInvalidRequest, strings.Join(problems, "; "), "")
		return nil, false
	}
	return rt, true
}

// validShareTag accepts what a virtio 9p mount tag may be and a directory name can hold.
func validShareTag(tag string) bool {
	if tag == "" || len(tag) > 31 || tag == "." || tag == ".." {
		return false
	}
	for _, r := range tag {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// shareDir mounts the share tagged tag on its first use and returns its directory. Only the
// job running LOAD_CODE calls it, so two mounts of one tag never race.
func (s *Server) shareDir(tag string) (string, error) {
	dir := filepath.Join(s.cfg.ShareRoot, tag)
	s.mu.Lock()
	done := s.mounted[tag]
	s.mu.Unlock()
	if done {
		return dir, nil
	}
	if s.cfg.Mount == nil || s.cfg.ShareRoot == "" {
		return "", fmt.Errorf("this agent mounts no file shares")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := s.cfg.Mount(tag, dir); err != nil {
		return "", fmt.Errorf("mount share %s: %w", tag, err)
	}
	s.mu.Lock()
	if s.mounted == nil {
		s.mounted = map[string]bool{}
	}
	s.mounted[tag] = true
	s.mu.Unlock()
	return dir, nil
}

// inShare resolves a share path to the package directory it names, read in place.
func (s *Server) inShare(req protocol.LoadCodeRequest) (string, error) {
	root, err := s.shareDir(req.Share)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, req.Path)
	fi, err := os.Stat(dir)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s in share %s is not a directory", req.Path, req.Share)
	}
	return dir, nil
}

// unpack places the package in a new directory and returns it (owned = the agent made it).
func (s *Server) unpack(req protocol.LoadCodeRequest, body []byte) (dir string, owned bool, st codepkg.Stats, err error) {
	s.mu.Lock()
	s.seq++
	inst := s.instanceID
	if inst == "" {
		inst = "unassigned"
	}
	dir = filepath.Join(s.cfg.CodeRoot, inst, fmt.Sprintf("code-%d", s.seq))
	s.mu.Unlock()
	if req.Path == "" {
		if err := codepkg.VerifySha256(body, req.CodeSha256); err != nil {
			return "", false, st, err
		}
		st, err = codepkg.Extract(bytes.NewReader(body), int64(len(body)), dir, s.cfg.Limits)
		return dir, true, st, err
	}
	fi, err := os.Stat(req.Path)
	if err != nil {
		return "", false, st, err
	}
	if fi.IsDir() {
		return req.Path, false, st, nil // used in place (e.g. a package baked into the image)
	}
	zf, err := os.Open(req.Path)
	if err != nil {
		return "", false, st, err
	}
	defer zf.Close()
	if req.CodeSha256 != "" {
		h := sha256.New()
		if _, err := io.Copy(h, zf); err != nil {
			return "", false, st, err
		}
		if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, req.CodeSha256) {
			return "", false, st, fmt.Errorf("code package sha256 %s, want %s", got, req.CodeSha256)
		}
	}
	st, err = codepkg.Extract(zf, fi.Size(), dir, s.cfg.Limits)
	return dir, true, st, err
}

func (s *Server) loadCode(ctx context.Context, c *conn, f protocol.Frame, req protocol.LoadCodeRequest, rt runtime.Runtime, received time.Time) func() {
	start := time.Now()
	// A failed LOAD_CODE leaves no code loaded: forget the previous package first.
	s.mu.Lock()
	prev := s.code
	s.code = nil
	inst := s.instanceID
	s.mu.Unlock()
	if prev != nil && prev.owned {
		os.RemoveAll(prev.code.Dir)
	}
	forgot := time.Now()
	var dir string
	var owned bool
	var st codepkg.Stats
	var err error
	if req.Share != "" {
		// The host verified and unpacked the package; the guest reads its files where they are.
		if dir, err = s.inShare(req); err != nil {
			return func() { c.fail(f.RequestID, protocol.CodeInternal, err.Error(), "") }
		}
	} else if dir, owned, st, err = s.unpack(req, f.Body); err != nil {
		return func() { c.fail(f.RequestID, protocol.CodeBadCodePackage, err.Error(), "") }
	}
	unpacked := time.Now()
	code := runtime.Code{
		Dir: dir, Handler: req.Handler, Env: req.Env, FunctionName: req.FunctionName,
		FunctionVersion: req.FunctionVersion, MemoryMiB: req.MemoryMiB, InstanceID: inst,
	}
	err = rt.Load(ctx, code)
	taken := time.Now()
	if err != nil {
		if owned {
			os.RemoveAll(dir)
		}
		var le *runtime.LoadError
		if errors.As(err, &le) {
			return func() { c.fail(f.RequestID, protocol.CodeCodeLoadFailed, le.Msg, le.Detail) }
		}
		return func() { c.fail(f.RequestID, protocol.CodeRuntimeUnavailable, err.Error(), "") }
	}
	s.mu.Lock()
	s.code = &loaded{rt: rt, code: code, owned: owned}
	s.mu.Unlock()
	rep := protocol.LoadCodeReply{
		Runtime: req.Runtime, Handler: req.Handler, CodeDir: dir, Files: st.Files, Bytes: st.Bytes,
		LoadMs: float64(time.Since(start).Microseconds()) / 1000,
		StepsMicros: map[string]int64{
			"jobStart": start.Sub(received).Microseconds(),
			"forget":   forgot.Sub(start).Microseconds(),
			"unpack":   unpacked.Sub(forgot).Microseconds(),
			"runtime":  taken.Sub(unpacked).Microseconds(),
		},
	}
	return func() { c.reply(f, protocol.TypeCodeLoaded, rep, nil) }
}

func (s *Server) invoke(c *conn, f protocol.Frame, req protocol.InvokeRequest) {
	if req.TimeoutMs < 0 || req.TimeoutMs > protocol.MaxTimeoutMs {
		c.fail(f.RequestID, protocol.CodeInvalidRequest, fmt.Sprintf("timeoutMs %d: want 0..%d", req.TimeoutMs, protocol.MaxTimeoutMs), "")
		return
	}
	timeout := time.Duration(req.TimeoutMs) * time.Millisecond
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	s.mu.Lock()
	l := s.code
	s.mu.Unlock()
	if l == nil {
		c.fail(f.RequestID, protocol.CodeNoCode, "no code loaded: send LOAD_CODE first", "")
		return
	}
	s.job(c, f, func(ctx context.Context) func() {
		res := l.rt.Invoke(ctx, runtime.Invocation{ID: req.InvocationID, Event: f.Body, Timeout: timeout})
		return func() { c.reply(f, protocol.TypeResult, res.Meta(), res.Payload) }
	})
}

func (s *Server) shutdown(c *conn, f protocol.Frame) {
	s.cfg.Logf("shutdown requested")
	c.reply(f, protocol.TypeShutdownReply, protocol.ShutdownReply{PowerOff: s.cfg.PowerOff != nil}, nil)
	s.cancel()
	done := make(chan struct{})
	go func() { s.jobs.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		s.cfg.Logf("shutdown: jobs still running after 2s")
	}
	for _, rt := range s.cfg.Runtimes {
		_ = rt.Close()
	}
	if s.cfg.PowerOff != nil {
		if err := s.cfg.PowerOff(); err != nil {
			s.cfg.Logf("power off: %v", err)
		}
	}
}

// ReseedRuntimes has every runtime drop cached randomness (identity.Applier.RuntimeReseed).
func (s *Server) ReseedRuntimes() error {
	var errs []error
	for name, rt := range s.cfg.Runtimes {
		if err := rt.Reseed(s.ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
