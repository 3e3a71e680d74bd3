package agent

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"faaster.dev/guest/client"
	"faaster.dev/guest/protocol"
	"faaster.dev/guest/runtime"
)

// socketPair returns two connected stream sockets (buffered, unlike net.Pipe).
func socketPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int) net.Conn {
		f := os.NewFile(uintptr(fd), "socketpair")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := conn(fds[0]), conn(fds[1])
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// blockingRuntime's Invoke waits for release (or its context) before answering.
type blockingRuntime struct {
	release chan struct{}
	reseeds atomic.Int32
	closed  atomic.Bool
}

func (b *blockingRuntime) Name() string                                   { return "blocking" }
func (b *blockingRuntime) Ready() bool                                    { return true }
func (b *blockingRuntime) Load(ctx context.Context, c runtime.Code) error { return nil }
func (b *blockingRuntime) Reseed(ctx context.Context) error               { b.reseeds.Add(1); return nil }
func (b *blockingRuntime) Close() error                                   { b.closed.Store(true); return nil }
func (b *blockingRuntime) Invoke(ctx context.Context, inv runtime.Invocation) runtime.Result {
	select {
	case <-b.release:
		return runtime.Result{Status: protocol.StatusOK, Payload: inv.Event}
	case <-ctx.Done():
		return runtime.Result{Status: protocol.StatusFunctionError, ErrorType: "Runtime.Cancelled"}
	}
}

type fakeIdentity struct {
	got     []protocol.IdentityRequest
	entropy [][]byte
	err     error
}

func (f *fakeIdentity) Apply(req protocol.IdentityRequest, e []byte) (protocol.IdentityReply, error) {
	f.got = append(f.got, req)
	f.entropy = append(f.entropy, e)
	return protocol.IdentityReply{InstanceID: req.InstanceID, Hostname: req.Hostname, KernelReseeded: true,
		EntropyBytes: len(e), Network: protocol.NetworkNotRequested}, f.err
}

type harness struct {
	srv      *Server
	c        *client.Client
	raw      net.Conn
	blocking *blockingRuntime
	ident    *fakeIdentity
	poweroff atomic.Int32
	served   chan error
}

func start(t *testing.T) *harness {
	return startWith(t, func(*Config) {})
}

func startWith(t *testing.T, configure func(*Config)) *harness {
	t.Helper()
	h := &harness{blocking: &blockingRuntime{release: make(chan struct{})}, ident: &fakeIdentity{}, served: make(chan error, 1)}
	cfg := Config{
		Version: "test", Runtime: protocol.RuntimeProvided,
		Runtimes: map[string]runtime.Runtime{protocol.RuntimeProvided: runtime.NewProvided(), "blocking": h.blocking},
		Identity: h.ident, CodeRoot: t.TempDir(),
		PowerOff: func() error { h.poweroff.Add(1); return nil },
		Logf:     t.Logf,
	}
	configure(&cfg)
	h.srv = New(cfg)
	agentSide, hostSide := socketPair(t)
	go func() { h.served <- h.srv.Serve(agentSide) }()
	h.raw = hostSide
	h.c = client.New(hostSide)
	return h
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func remoteCode(t *testing.T, err error) string {
	t.Helper()
	var re *client.RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want an ERROR reply", err)
	}
	return re.Code
}

func zipOf(t *testing.T, files map[string]string, mode os.FileMode) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, body := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(mode)
		fw, _ := w.CreateHeader(h)
		fw.Write([]byte(body))
	}
	w.Close()
	return buf.Bytes()
}

func TestServerAnnouncesReadyAndAnswersReadyRequest(t *testing.T) {
	h := start(t)
	f, err := h.c.Await(ctx(t), 0)
	if err != nil || f.Type != protocol.TypeReadyReply {
		t.Fatalf("unsolicited READY: %v %v", f.Type, err)
	}
	f, err = h.c.Call(ctx(t), protocol.TypeReady, nil, nil)
	var st protocol.Status
	if err != nil || client.Reply(f, &st) != nil || st.Protocol != 1 || st.Runtime != "provided" || !st.RuntimeReady {
		t.Fatalf("READY reply %+v %v", st, err)
	}
}

func TestServerLoadsZipAndInvokesProvided(t *testing.T) {
	h := start(t)
	if _, err := h.c.Call(ctx(t), protocol.TypeInvoke, protocol.InvokeRequest{TimeoutMs: 1000}, nil); remoteCode(t, err) != protocol.CodeNoCode {
		t.Fatal("invoke before load")
	}
	pkg := zipOf(t, map[string]string{"bootstrap": "#!/bin/sh\nprintf 'got:'; cat\n"}, 0o755)
	f, err := h.c.Call(ctx(t), protocol.TypeLoadCode, protocol.LoadCodeRequest{Runtime: "provided"}, pkg)
	var lr protocol.LoadCodeReply
	if err != nil || client.Reply(f, &lr) != nil || lr.Files != 1 {
		t.Fatalf("load: %+v %v", lr, err)
	}
	for _, step := range []string{"jobStart", "forget", "unpack", "runtime"} {
		if v, ok := lr.StepsMicros[step]; !ok || v < 0 {
			t.Fatalf("load step %s: %v in %+v", step, v, lr.StepsMicros)
		}
	}
	f, err = h.c.Call(ctx(t), protocol.TypeInvoke, protocol.InvokeRequest{TimeoutMs: 5000, InvocationID: "a"}, []byte(`{"x":1}`))
	var rm protocol.ResultMeta
	if err != nil || client.Reply(f, &rm) != nil || rm.Status != protocol.StatusOK || string(f.Body) != `got:{"x":1}` {
		t.Fatalf("invoke: %+v body %q %v", rm, f.Body, err)
	}
}

// fakeShare stands in for the host's 9p export: "mounting" it writes the packages the host
// would have placed there.
type fakeShare struct {
	mounts []string
	err    error
}

func (f *fakeShare) mount(tag, dir string) error {
	f.mounts = append(f.mounts, tag+" at "+dir)
	if f.err != nil {
		return f.err
	}
	for pkg, out := range map[string]string{"pkg-1": "one", "pkg-2": "two"} {
		if err := os.MkdirAll(filepath.Join(dir, pkg), 0o755); err != nil {
			return err
		}
		script := "#!/bin/sh\nprintf '" + out + "'\n"
		if err := os.WriteFile(filepath.Join(dir, pkg, "bootstrap"), []byte(script), 0o755); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644)
}

func TestServerReadsPackagesInPlaceFromAShareMountedOnce(t *testing.T) {
	share := &fakeShare{}
	root := t.TempDir()
	h := startWith(t, func(c *Config) { c.ShareRoot = root; c.Mount = share.mount })
	load := func(path string) protocol.LoadCodeReply {
		f, err := h.c.Call(ctx(t), protocol.TypeLoadCode, protocol.LoadCodeRequest{Runtime: "provided", Share: "faaster.code", Path: path}, nil)
		var lr protocol.LoadCodeReply
		if err != nil || client.Reply(f, &lr) != nil {
			t.Fatalf("load %s: %v", path, err)
		}
		return lr
	}
	invoke := func() string {
		f, err := h.c.Call(ctx(t), protocol.TypeInvoke, protocol.InvokeRequest{TimeoutMs: 5000}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return string(f.Body)
	}
	if lr := load("pkg-1"); lr.CodeDir != filepath.Join(root, "faaster.code", "pkg-1") {
		t.Fatalf("code dir %s: want the package's directory in the share", lr.CodeDir)
	}
	if got := invoke(); got != "one" {
		t.Fatalf("first package answered %q", got)
	}
	load("pkg-2")
	if got := invoke(); got != "two" {
		t.Fatalf("second package answered %q", got)
	}
	if len(share.mounts) != 1 || share.mounts[0] != "faaster.code at "+filepath.Join(root, "faaster.code") {
		t.Fatalf("mounts %v: want one, of the tag at its directory", share.mounts)
	}
	if _, err := os.Stat(filepath.Join(root, "faaster.code", "pkg-1", "bootstrap")); err != nil {
		t.Fatalf("replacing code removed the share's files: %v", err)
	}
}

func TestServerRefusesShareRequestsItCannotServe(t *testing.T) {
	share := &fakeShare{}
	h := startWith(t, func(c *Config) { c.ShareRoot = t.TempDir(); c.Mount = share.mount })
	for _, req := range []protocol.LoadCodeRequest{
		{Runtime: "provided", Share: "faaster.code", Path: "../escape"},
		{Runtime: "provided", Share: "faaster.code", Path: "/abs"},
		{Runtime: "provided", Share: "faaster.code"},
		{Runtime: "provided", Share: "bad/tag", Path: "pkg-1"},
		{Runtime: "provided", Share: "..", Path: "pkg-1"},
	} {
		_, err := h.c.Call(ctx(t), protocol.TypeLoadCode, req, nil)
		if remoteCode(t, err) != protocol.CodeInvalidRequest {
			t.Fatalf("%+v: %v", req, err)
		}
	}
	if len(share.mounts) != 0 {
		t.Fatalf("invalid requests mounted %v", share.mounts)
	}
	for _, path := range []string{"missing", "file"} {
		_, err := h.c.Call(ctx(t), protocol.TypeLoadCode, protocol.LoadCodeRequest{Runtime: "provided", Share: "faaster.code", Path: path}, nil)
		if remoteCode(t, err) != protocol.CodeInternal {
			t.Fatalf("%s: %v", path, err)
		}
	}
	st, _ := h.c.Call(ctx(t), protocol.TypePing, nil, nil)
	var status protocol.Status
	if client.Reply(st, &status) != nil || status.CodeLoaded {
		t.Fatalf("a refused load left code loaded: %+v", status)
	}

	failing := &fakeShare{err: errors.New("no such device")}
	h2 := startWith(t, func(c *Config) { c.ShareRoot = t.TempDir(); c.Mount = failing.mount })
	_, err := h2.c.Call(ctx(t), protocol.TypeLoadCode, protocol.LoadCodeRequest{Runtime: "provided", Share: "faaster.code", Path: "pkg-1"}, nil)
	if remoteCode(t, err) != protocol.CodeInternal || !strings.Contains(err.Error(), "no such device") {
		t.Fatalf("failed mount: %v", err)
	}
	h3 := start(t) // no Mount configured
	_, err = h3.c.Call(ctx(t), protocol.TypeLoadCode, protocol.LoadCodeRequest{Runtime: "provided", Share: "faaster.code", Path: "pkg-1"}, nil)
	if remoteCode(t, err) != protocol.CodeInternal {
		t.Fatalf("no mounter: %v", err)
	}
}

func TestServerRejectsTraversalPackage(t *testing.T) {
	h := start(t)
	pkg := zipOf(t, map[string]string{"../../escape": "x"}, 0o644)
	_, err := h.c.Call(ctx(t), protocol.TypeLoadCode, protocol.LoadCodeRequest{Runtime: "provided"}, pkg)
	if remoteCode(t, err) != protocol.CodeBadCodePackage {
		t.Fatal(err)
	}
	_, err = h.c.Call(ctx(t), protocol.TypeLoadCode, protocol.LoadCodeRequest{Runtime: "provided"}, []byte("not a zip"))
	if remoteCode(t, err) != protocol.CodeBadCodePackage {
		t.Fatal(err)
	}
	_, err = h.c.Call(ctx(t), protocol.TypeLoadCode, protocol.LoadCodeRequest{Runtime: "python3", Handler: "a.b"}, pkg)
	if remoteCode(t, err) != protocol.CodeRuntimeUnavailable {
		t.Fatal(err)
	}
	pkg = zipOf(t, map[string]string{"bootstrap": "#!/bin/sh\n"}, 0o644)
	_, err = h.c.Call(ctx(t), protocol.TypeLoadCode, protocol.LoadCodeRequest{Runtime: "provided"}, pkg)
	if remoteCode(t, err) != protocol.CodeCodeLoadFailed {
		t.Fatal(err)
	}
}

func TestServerAnswersPingWhileInvokingAndRefusesSecondInvoke(t *testing.T) {
	h := start(t)
	if _, err := h.c.Call(ctx(t), protocol.TypeLoadCode, protocol.LoadCodeRequest{Runtime: "blocking", Path: t.TempDir()}, nil); err != nil {
		t.Fatal(err)
	}
	invokeID, _ := h.c.Send(protocol.TypeInvoke, protocol.InvokeRequest{TimeoutMs: 5000}, []byte("first"))
	f, err := h.c.Call(ctx(t), protocol.TypePing, nil, nil)
	var st protocol.Status
	for err == nil && client.Reply(f, &st) == nil && !st.Busy { // the invoke may not have started yet
		f, err = h.c.Call(ctx(t), protocol.TypePing, nil, nil)
	}
	if err != nil || f.Type != protocol.TypePong {
		t.Fatalf("PING during invoke: %v %v", f.Type, err)
	}
	if _, err := h.c.Call(ctx(t), protocol.TypeInvoke, protocol.InvokeRequest{TimeoutMs: 5000}, []byte("second")); remoteCode(t, err) != protocol.CodeBusy {
		t.Fatal(err)
	}
	close(h.blocking.release)
	f, err = h.c.Await(ctx(t), invokeID)
	if err != nil || f.Type != protocol.TypeResult || string(f.Body) != "first" {
		t.Fatalf("first invoke: %v %q %v", f.Type, f.Body, err)
	}
}

// writeRaw sends bytes that are not (all) valid frames.
func (h *harness) writeRaw(t *testing.T, b []byte) {
	t.Helper()
	if _, err := h.raw.Write(b); err != nil {
		t.Error(err) // runs in its own goroutine
	}
}

func TestServerSurvivesMalformedFrames(t *testing.T) {
	h := start(t)
	hdr := func(v byte, typ protocol.Type, id uint64, n uint32) []byte {
		b := make([]byte, protocol.HeaderSize)
		protocol.PutHeader(b, protocol.Header{Version: v, Type: typ, RequestID: id, PayloadLen: n})
		return b
	}
	cases := []struct {
		name string
		raw  []byte
		id   uint64
		code string
	}{
		{"garbage", []byte("GET / HTTP/1.1\r\n\r\n0123456789"), 0, protocol.CodeBadHeader},
		{"oversized", append(hdr(1, protocol.TypeInvoke, 101, protocol.MaxPayload+1), make([]byte, protocol.MaxPayload+1)...), 101, protocol.CodeFrameTooLarge},
		{"version", append(hdr(9, protocol.TypePing, 102, 2), 'x', 'y'), 102, protocol.CodeUnsupportedVersion},
		{"unknown type", hdr(1, protocol.Type(0x42), 103, 0), 103, protocol.CodeUnknownType},
		{"reply type from host", hdr(1, protocol.TypeResult, 104, 0), 104, protocol.CodeInvalidRequest},
		{"bad meta length", append(hdr(1, protocol.TypePing, 105, 4), binary.BigEndian.AppendUint32(nil, 99)...), 105, protocol.CodeBadPayload},
		{"bad meta json", append(append(hdr(1, protocol.TypeInvoke, 106, 4+5), 0, 0, 0, 5), "{nope"...), 106, protocol.CodeBadMeta},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			go h.writeRaw(t, tc.raw)
			if tc.id == 0 { // no id to match: the next ERROR frame is the answer
				f, err := h.c.Receive(ctx(t))
				for err == nil && f.Type != protocol.TypeError {
					f, err = h.c.Receive(ctx(t))
				}
				var em protocol.ErrorMeta
				client.Reply(f, &em)
				if em.Code != tc.code {
					t.Fatalf("got %+v %v, want %s", em, err, tc.code)
				}
			} else if _, err := h.c.Await(ctx(t), tc.id); remoteCode(t, err) != tc.code {
				t.Fatalf("code %s, want %s", remoteCode(t, err), tc.code)
			}
			if _, err := h.c.Call(ctx(t), protocol.TypePing, nil, nil); err != nil {
				t.Fatalf("agent stopped serving: %v", err)
			}
		})
	}
}

func TestServerSetIdentityRecordsInstance(t *testing.T) {
	h := start(t)
	entropy := bytes.Repeat([]byte{7}, 32)
	req := protocol.IdentityRequest{InstanceID: "i-7", Hostname: "fn-7"}
	f, err := h.c.Call(ctx(t), protocol.TypeSetIdentity, req, entropy)
	var rep protocol.IdentityReply
	if err != nil || client.Reply(f, &rep) != nil || !rep.KernelReseeded || rep.EntropyBytes != 32 {
		t.Fatalf("%+v %v", rep, err)
	}
	if len(h.ident.entropy) != 1 || !bytes.Equal(h.ident.entropy[0], entropy) {
		t.Fatal("entropy not passed to the applier")
	}
	f, _ = h.c.Call(ctx(t), protocol.TypePing, nil, nil)
	var st protocol.Status
	client.Reply(f, &st)
	if st.InstanceID != "i-7" {
		t.Fatalf("status %+v", st)
	}
	if _, err := h.c.Call(ctx(t), protocol.TypeSetIdentity, req, entropy[:16]); remoteCode(t, err) != protocol.CodeInvalidRequest {
		t.Fatal("short entropy accepted")
	}
	h.ident.err = errors.New("ip: no such device")
	if _, err := h.c.Call(ctx(t), protocol.TypeSetIdentity, req, entropy); remoteCode(t, err) != protocol.CodeIdentityFailed {
		t.Fatal("apply failure not reported")
	}
}

func TestServerShutdownAcknowledgesThenPowersOff(t *testing.T) {
	h := start(t)
	f, err := h.c.Call(ctx(t), protocol.TypeShutdown, nil, nil)
	if err != nil || f.Type != protocol.TypeShutdownReply {
		t.Fatalf("%v %v", f.Type, err)
	}
	select {
	case err := <-h.served:
		if !errors.Is(err, ErrShutdown) {
			t.Fatalf("Serve returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	if h.poweroff.Load() != 1 || !h.blocking.closed.Load() {
		t.Fatal("runtimes not closed or VM not powered off")
	}
}

func TestServeReturnsEOFWhenHostLeavesAndServesNextConnection(t *testing.T) {
	h := start(t)
	h.raw.Close()
	select {
	case err := <-h.served:
		if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "broken pipe") {
			t.Fatalf("Serve returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	a, b := socketPair(t)
	go h.srv.Serve(a)
	c := client.New(b)
	st, err := c.WaitReady(ctx(t))
	if err != nil || st.Connections != 2 {
		t.Fatalf("%+v %v", st, err)
	}
}
