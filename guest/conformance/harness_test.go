package conformance

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"faaster.dev/guest/client"
	"faaster.dev/guest/protocol"
)

// Generous bounds: the suite must not fail because a loaded machine is slow. No test asserts
// how long something took; these only stop a test that would otherwise hang.
const (
	callTimeout  = 60 * time.Second // one request and its reply
	startTimeout = 30 * time.Second // agent process up and its socket accepting
	exitTimeout  = 20 * time.Second // process gone after SHUTDOWN or a kill
)

// canaryEnv is set in the agent's own environment; a function must not see it (its
// environment is built from scratch, PROTOCOL.md §6.1).
const canaryEnv = "FAASTER_CONFORMANCE_CANARY"

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// moduleRoot is guest/ (go test runs in the package directory, guest/conformance).
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s: %v", root, err)
	}
	return root
}

func goTool() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	for _, p := range []string{filepath.Join(os.Getenv("GOROOT"), "bin", "go"), "/usr/local/go/bin/go"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("no go tool on PATH, in $GOROOT/bin or /usr/local/go/bin; set FAASTER_AGENT_BIN")
}

// agentBinary is $FAASTER_AGENT_BIN, or the C agent built once for the whole run.
func agentBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("FAASTER_AGENT_BIN"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(abs)
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			t.Fatalf("FAASTER_AGENT_BIN=%s is not an executable file (%v)", p, err)
		}
		return abs
	}
	root := moduleRoot(t)
	built.once.Do(func() {
		goBin, err := goTool()
		if err != nil {
			built.err = err
			return
		}
		if built.dir, err = os.MkdirTemp("", "faaster-agent-build-"); err != nil {
			built.err = err
			return
		}
		// The C agent (make in native/) and, next to it, the unpack program it runs for zips.
		cmd := exec.Command("make", "-s", "-C", filepath.Join(root, "native"), "BUILD="+built.dir)
		if b, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("make -C native: %v\n%s", err, b)
			return
		}
		out := filepath.Join(built.dir, "faaster-agent")
		cmd = exec.Command(goBin, "build", "-o", filepath.Join(built.dir, "faaster-unpack"), "./cmd/faaster-unpack")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build ./cmd/faaster-unpack: %v\n%s", err, b)
			return
		}
		built.path = out
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

func pythonInterpreter(t *testing.T) string {
	t.Helper()
	p := os.Getenv("FAASTER_PYTHON")
	if p == "" {
		p = "/usr/bin/python3.11"
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("python interpreter %s: %v (set FAASTER_PYTHON)", p, err)
	}
	return p
}

func pythonBootstrap(t *testing.T) string {
	t.Helper()
	p := os.Getenv("FAASTER_PYTHON_BOOTSTRAP")
	if p == "" {
		p = filepath.Join(moduleRoot(t), "runtime", "python", "bootstrap.py")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("python bootstrap: %v", err)
	}
	return abs
}

// agent is one agent process serving a unix socket, and the test's connection to it.
type agent struct {
	t        *testing.T
	runtime  string
	base     string // temporary directory holding the socket, the log and the code root
	sock     string
	codeRoot string
	logPath  string
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error

	c     *client.Client
	ready protocol.Status // the READY (id 0) that opened the current connection
}

// startAgent runs the agent binary with the image runtime rt ("provided" or "python3") and
// connects to it. The process is killed and its files removed when the test ends.
func startAgent(t *testing.T, rt string) *agent {
	t.Helper()
	bin := agentBinary(t)
	python, bootstrap := "/usr/bin/python3.11", ""
	if rt == protocol.RuntimePython3 {
		python = pythonInterpreter(t)
		bootstrap = pythonBootstrap(t)
	} else if os.Getenv("FAASTER_PYTHON") != "" {
		python = os.Getenv("FAASTER_PYTHON")
	}
	if bootstrap == "" {
		bootstrap = filepath.Join(moduleRoot(t), "runtime", "python", "bootstrap.py")
	}
	// Not t.TempDir(): a unix socket path must stay short (108 bytes), test names are long.
	base, err := os.MkdirTemp("", "faag-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) }) // registered first: runs after the kill below
	a := &agent{
		t: t, runtime: rt, base: base,
		sock:     filepath.Join(base, "agent.sock"),
		codeRoot: filepath.Join(base, "work", "instances"),
		logPath:  filepath.Join(base, "agent.log"),
		exited:   make(chan struct{}),
	}
	if err := os.MkdirAll(a.codeRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(a.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	a.cmd = exec.Command(bin, "-listen", a.sock, "-guest=false", "-runtime", rt,
		"-code-root", a.codeRoot, "-python", python, "-python-bootstrap", bootstrap)
	a.cmd.Dir = base
	// A file, not a pipe: children that inherit the agent's stderr (a helper writing to the
	// console) must not keep Wait from returning.
	a.cmd.Stdout, a.cmd.Stderr = logFile, logFile
	a.cmd.Env = append(os.Environ(), canaryEnv+"=leaked")
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { a.waitErr = a.cmd.Wait(); close(a.exited) }()
	t.Cleanup(a.stop)
	a.connect(t)
	return a
}

func (a *agent) hasExited() bool {
	select {
	case <-a.exited:
		return true
	default:
		return false
	}
}

// stop closes the connection and kills the agent if it still runs.
func (a *agent) stop() {
	if a.c != nil {
		a.c.Close()
	}
	if !a.hasExited() {
		_ = a.cmd.Process.Kill()
		select {
		case <-a.exited:
		case <-time.After(exitTimeout):
			a.t.Errorf("agent pid %d did not exit after SIGKILL", a.cmd.Process.Pid)
		}
	}
	if a.t.Failed() {
		a.t.Logf("agent log (%s):\n%s", a.logPath, a.logTail(16<<10))
	}
}

func (a *agent) logTail(n int) string {
	b, err := os.ReadFile(a.logPath)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// connect opens a new connection and reads its first frame, which must be READY with
// request id 0 (PROTOCOL.md §3.2).
func (a *agent) connect(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	var conn net.Conn
	for {
		var err error
		conn, err = net.DialTimeout("unix", a.sock, 5*time.Second)
		if err == nil {
			break
		}
		if a.hasExited() {
			t.Fatalf("agent exited before accepting a connection (%v); log:\n%s", a.waitErr, a.logTail(8<<10))
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent socket %s not accepting after %v: %v; log:\n%s", a.sock, startTimeout, err, a.logTail(8<<10))
		}
		time.Sleep(20 * time.Millisecond)
	}
	a.c = client.New(conn)
	f, err := a.c.Receive(ctxFor(t))
	if err != nil {
		t.Fatalf("first frame of the connection: %v", err)
	}
	if f.Type != protocol.TypeReadyReply || f.RequestID != 0 {
		t.Fatalf("first frame is %v id %d, want READY id 0", f.Type, f.RequestID)
	}
	var st protocol.Status
	if err := client.Reply(f, &st); err != nil {
		t.Fatalf("READY meta %q: %v", f.Meta, err)
	}
	a.ready = st
}

// reconnect closes the current connection and opens the next one.
func (a *agent) reconnect(t *testing.T) {
	t.Helper()
	a.c.Close()
	a.connect(t)
}

// waitExit waits for the agent process to end and returns its wait error.
func (a *agent) waitExit(t *testing.T) error {
	t.Helper()
	select {
	case <-a.exited:
		return a.waitErr
	case <-time.After(exitTimeout):
		t.Fatalf("agent still running %v later", exitTimeout)
		return nil
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// call sends a request and returns its reply (an ERROR reply as a *client.RemoteError).
func (a *agent) call(t *testing.T, typ protocol.Type, meta any, body []byte) (protocol.Frame, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	return a.c.Call(ctx, typ, meta, body)
}

// await waits for the reply to id.
func (a *agent) await(t *testing.T, id uint64) (protocol.Frame, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	return a.c.Await(ctx, id)
}

// mustReply checks that f answers with the reply type of typ and decodes its meta into out.
func mustReply(t *testing.T, typ protocol.Type, f protocol.Frame, err error, out any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%v: %v", typ, err)
	}
	if f.Type != typ.Reply() {
		t.Fatalf("%v answered with %v (meta %s), want %v", typ, f.Type, f.Meta, typ.Reply())
	}
	if out != nil {
		if err := json.Unmarshal(orEmpty(f.Meta), out); err != nil {
			t.Fatalf("%v meta %q: %v", f.Type, f.Meta, err)
		}
	}
}

func orEmpty(meta []byte) []byte {
	if len(meta) == 0 {
		return []byte("{}")
	}
	return meta
}

// wantError checks that a request was answered by ERROR with code and returns the ERROR meta.
func wantError(t *testing.T, what string, f protocol.Frame, err error, code string) protocol.ErrorMeta {
	t.Helper()
	var re *client.RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("%s: got %v (reply %v, meta %s), want ERROR %s", what, err, f.Type, f.Meta, code)
	}
	if re.Code != code {
		t.Fatalf("%s: got ERROR %s (%s), want %s", what, re.Code, re.Message, code)
	}
	if f.Type != protocol.TypeError {
		t.Fatalf("%s: error frame type %v", what, f.Type)
	}
	return re.ErrorMeta
}

func (a *agent) ping(t *testing.T) protocol.Status {
	t.Helper()
	f, err := a.call(t, protocol.TypePing, nil, nil)
	var st protocol.Status
	mustReply(t, protocol.TypePing, f, err, &st)
	return st
}

func (a *agent) load(t *testing.T, req protocol.LoadCodeRequest, zipBody []byte) protocol.LoadCodeReply {
	t.Helper()
	f, err := a.call(t, protocol.TypeLoadCode, req, zipBody)
	var rep protocol.LoadCodeReply
	mustReply(t, protocol.TypeLoadCode, f, err, &rep)
	return rep
}

func (a *agent) loadError(t *testing.T, what string, req protocol.LoadCodeRequest, zipBody []byte, code string) protocol.ErrorMeta {
	t.Helper()
	f, err := a.call(t, protocol.TypeLoadCode, req, zipBody)
	return wantError(t, what, f, err, code)
}

func (a *agent) invoke(t *testing.T, req protocol.InvokeRequest, event []byte) (protocol.ResultMeta, []byte) {
	t.Helper()
	f, err := a.call(t, protocol.TypeInvoke, req, event)
	var rm protocol.ResultMeta
	mustReply(t, protocol.TypeInvoke, f, err, &rm)
	return rm, f.Body
}

// wantOutput invokes with event (30 s timeout) and fails the test unless the answer is OK with want.
func (a *agent) wantOutput(t *testing.T, what string, event []byte, want string) {
	t.Helper()
	rm, body := a.invoke(t, protocol.InvokeRequest{TimeoutMs: 30000}, event)
	if rm.Status != protocol.StatusOK || string(body) != want {
		t.Fatalf("%s: %+v %q, want %q", what, rm, body, want)
	}
}

func (a *agent) setIdentity(t *testing.T, instanceID, hostname string) protocol.IdentityReply {
	t.Helper()
	f, err := a.call(t, protocol.TypeSetIdentity, protocol.IdentityRequest{InstanceID: instanceID, Hostname: hostname}, entropy(t, 64))
	var rep protocol.IdentityReply
	mustReply(t, protocol.TypeSetIdentity, f, err, &rep)
	return rep
}

// wantNoCode checks that no code is loaded: PING says so and INVOKE is refused.
func (a *agent) wantNoCode(t *testing.T, after string) {
	t.Helper()
	if st := a.ping(t); st.CodeLoaded {
		t.Fatalf("after %s: PING reports codeLoaded", after)
	}
	f, err := a.call(t, protocol.TypeInvoke, protocol.InvokeRequest{TimeoutMs: 5000}, nil)
	wantError(t, "INVOKE after "+after, f, err, protocol.CodeNoCode)
}

// rawWrite writes b as it is (in the background: the agent reads while we write) and
// waits until it was written.
func (a *agent) rawWrite(t *testing.T, b []byte) {
	t.Helper()
	done := make(chan error, 1)
	go func() { _, err := a.c.RawWrite(b); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("write %d raw bytes: %v", len(b), err)
		}
	case <-time.After(callTimeout):
		t.Fatalf("write of %d raw bytes did not complete: the agent stopped reading", len(b))
	}
}

// framesUntilPong sends a PING and returns every frame that arrives before its PONG.
func (a *agent) framesUntilPong(t *testing.T) []protocol.Frame {
	t.Helper()
	id, err := a.c.Send(protocol.TypePing, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var got []protocol.Frame
	for {
		f, err := a.c.Receive(ctx)
		if err != nil {
			t.Fatalf("waiting for PONG %d (after %d frames): %v", id, len(got), err)
		}
		if f.Type == protocol.TypePong && f.RequestID == id {
			return got
		}
		got = append(got, f)
	}
}

// waitBusy polls PING until the agent reports a running job.
func (a *agent) waitBusy(t *testing.T) protocol.Status {
	t.Helper()
	deadline := time.Now().Add(callTimeout)
	for {
		st := a.ping(t)
		if st.Busy {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent never reported busy: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---- frames built by hand ---------------------------------------------------------------

// header returns a header with a correct CRC for whatever fields are given.
func header(version byte, typ protocol.Type, id uint64, payloadLen uint32) []byte {
	b := make([]byte, protocol.HeaderSize)
	protocol.PutHeader(b, protocol.Header{Version: version, Type: typ, RequestID: id, PayloadLen: payloadLen})
	return b
}

// rawFrame encodes a version-1 frame whose meta is taken as it is (it need not be JSON).
func rawFrame(t *testing.T, typ protocol.Type, id uint64, meta, body []byte) []byte {
	t.Helper()
	b, err := protocol.Encode(protocol.Frame{Type: typ, RequestID: id, Meta: meta, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func entropy(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// ---- code packages ----------------------------------------------------------------------

// zfile is one zip entry; mode carries the type bits (symlink, FIFO, directory).
type zfile struct {
	name string
	body string
	mode os.FileMode
}

func zipOf(t *testing.T, files ...zfile) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		if f.mode&os.ModeSymlink != 0 || f.mode&os.ModeDir != 0 {
			h.Method = zip.Store
		}
		h.SetMode(f.mode)
		fw, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bootstrapZip is a provided package whose bootstrap is a /bin/sh script.
func bootstrapZip(t *testing.T, script string) []byte {
	return zipOf(t, zfile{"bootstrap", "#!/bin/sh\n" + script, 0o755})
}

// loadScript loads a provided package running script and returns the reply.
func (a *agent) loadScript(t *testing.T, script string) protocol.LoadCodeReply {
	t.Helper()
	return a.load(t, protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided}, bootstrapZip(t, script))
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// ---- processes --------------------------------------------------------------------------

// processGone reports whether pid no longer runs (gone, or a zombie nobody reaped yet).
func processGone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	return b[i+2] == 'Z' || b[i+2] == 'X'
}

// waitGone waits for pid to end.
func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(exitTimeout)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) still runs %v later", what, pid, exitTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readPid waits for a file holding a pid (written by a function) and returns the pid.
func readPid(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(callTimeout)
	for {
		b, err := os.ReadFile(path)
		if err == nil && strings.HasSuffix(string(b), "\n") {
			var pid int
			if _, err := fmt.Sscanf(string(b), "%d", &pid); err == nil && pid > 0 {
				return pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s: %q %v", path, b, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFile waits until path exists.
func waitFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(callTimeout)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
