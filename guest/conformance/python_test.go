package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"faaster.dev/guest/protocol"
)

const handlerPy = `
import os, sys, time
print("imported")  # output during the import is discarded
COUNT = 0

def handler(event, context):
    global COUNT
    op = event.get("op") if isinstance(event, dict) else None
    if op == "echo":
        print("log line")
        sys.stderr.write("err line\n")
        return {"event": event, "requestId": context.aws_request_id, "invocationId": context.invocation_id,
                "fn": context.function_name, "version": context.function_version,
                "memory": context.memory_limit_in_mb, "instance": context.instance_id,
                "env": os.environ.get("GREETING"), "left": context.get_remaining_time_in_millis() > 0}
    if op == "fail":
        raise ValueError("bad input")
    if op == "exit":
        sys.exit(3)
    if op == "sleep":
        time.sleep(event["s"])
        return "slept"
    if op == "crash":
        print("dying", flush=True)
        os._exit(7)
    if op == "count":
        COUNT += 1
        return COUNT
    if op == "pid":
        return os.getpid()
    if op == "unserialisable":
        return {1, 2}
    return event
`

func pyZip(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var entries []zfile
	for name, body := range files {
		entries = append(entries, zfile{name, body, 0o644})
	}
	return zipOf(t, entries...)
}

// startPython starts an agent on the python3 image with handlerPy loaded as app.handler.
func startPython(t *testing.T) *agent {
	t.Helper()
	a := startAgent(t, protocol.RuntimePython3)
	lr := a.load(t, protocol.LoadCodeRequest{Runtime: protocol.RuntimePython3, Handler: "app.handler",
		Env: map[string]string{"GREETING": "hi"}, FunctionName: "fn", FunctionVersion: "3", MemoryMiB: 128},
		pyZip(t, map[string]string{"app.py": handlerPy}))
	if lr.Runtime != protocol.RuntimePython3 || lr.Handler != "app.handler" {
		t.Fatalf("CODE_LOADED %+v", lr)
	}
	return a
}

func (a *agent) pyInvoke(t *testing.T, event string, timeoutMs int64) (protocol.ResultMeta, string) {
	t.Helper()
	rm, body := a.invoke(t, protocol.InvokeRequest{TimeoutMs: timeoutMs, InvocationID: "inv-1"}, []byte(event))
	return rm, string(body)
}

func TestPythonReady(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimePython3)
	// The helper is started before the first READY.
	checkStatus(t, "unsolicited READY", a.ready, protocol.RuntimePython3)
	checkStatus(t, "PONG", a.ping(t), protocol.RuntimePython3)
}

func TestPythonInvokeReturnsJSONWithContextAndLogs(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimePython3)
	a.setIdentity(t, "i-py", "fn-py")
	a.load(t, protocol.LoadCodeRequest{Runtime: protocol.RuntimePython3, Handler: "app.handler",
		Env: map[string]string{"GREETING": "hi"}, FunctionName: "fn", FunctionVersion: "3", MemoryMiB: 128},
		pyZip(t, map[string]string{"app.py": handlerPy}))
	rm, body := a.pyInvoke(t, `{"op":"echo","x":[1,2]}`, 30000)
	want := `{"event":{"op":"echo","x":[1,2]},"requestId":"inv-1","invocationId":"inv-1","fn":"fn","version":"3",` +
		`"memory":128,"instance":"i-py","env":"hi","left":true}`
	if rm.Status != protocol.StatusOK || body != want {
		t.Fatalf("echo: %+v\n got %s\nwant %s", rm, body, want)
	}
	if !strings.Contains(rm.StderrTail, "log line") || !strings.Contains(rm.StderrTail, "err line") {
		t.Fatalf("stderr tail %q: want the print() and sys.stderr output", rm.StderrTail)
	}
	if strings.Contains(rm.StderrTail, "imported") {
		t.Fatalf("stderr tail %q holds output of the import", rm.StderrTail)
	}
	if rm, body := a.pyInvoke(t, "", 30000); rm.Status != protocol.StatusOK || body != "null" {
		t.Fatalf("empty event: %+v %s", rm, body)
	}
	if rm, body := a.pyInvoke(t, `[1,"two",{"3":null}]`, 30000); rm.Status != protocol.StatusOK || body != `[1,"two",{"3":null}]` {
		t.Fatalf("list event: %+v %s", rm, body)
	}
}

func TestPythonFunctionErrors(t *testing.T) {
	t.Parallel()
	a := startPython(t)
	rm, _ := a.pyInvoke(t, `{"op":"fail"}`, 30000)
	if rm.Status != protocol.StatusFunctionError || rm.ErrorType != "ValueError" || rm.ErrorMessage != "bad input" {
		t.Fatalf("exception: %+v", rm)
	}
	if !strings.Contains(rm.Trace, "Traceback") || !strings.Contains(rm.Trace, `raise ValueError("bad input")`) {
		t.Fatalf("trace %q", rm.Trace)
	}
	if rm, _ := a.pyInvoke(t, `{"op":"exit"}`, 30000); rm.Status != protocol.StatusFunctionError || rm.ErrorType != "SystemExit" {
		t.Fatalf("sys.exit: %+v", rm)
	}
	if rm, _ := a.pyInvoke(t, `{"op":"unserialisable"}`, 30000); rm.Status != protocol.StatusFunctionError || rm.ErrorType != "Runtime.MarshalError" {
		t.Fatalf("unserialisable result: %+v", rm)
	}
	if rm, _ := a.pyInvoke(t, `not json`, 30000); rm.Status != protocol.StatusFunctionError || rm.ErrorType != "Runtime.InvalidEvent" {
		t.Fatalf("invalid JSON event: %+v", rm)
	}
	if rm, body := a.pyInvoke(t, `{"op":"count"}`, 30000); rm.Status != protocol.StatusOK || body != "1" {
		t.Fatalf("after errors: %+v %s (module state must survive function errors)", rm, body)
	}
}

func TestPythonImportErrors(t *testing.T) {
	t.Parallel()
	a := startPython(t)
	cases := []struct {
		name, handler, source, inMessage, inDetail string
	}{
		{"missing module", "app.handler", "import does_not_exist\n", "does_not_exist", "does_not_exist"},
		{"syntax error", "app.handler", "def handler(e, c)\n    return 1\n", "SyntaxError", "Traceback"},
		{"missing function", "app.nothere", "def handler(e, c):\n    return 1\n", "nothere", "Traceback"},
		{"exception at import", "app.handler", "raise RuntimeError('at import')\n", "at import", "RuntimeError"},
	}
	for _, tc := range cases {
		a.load(t, protocol.LoadCodeRequest{Runtime: protocol.RuntimePython3, Handler: "app.handler"},
			pyZip(t, map[string]string{"app.py": handlerPy}))
		em := a.loadError(t, tc.name, protocol.LoadCodeRequest{Runtime: protocol.RuntimePython3, Handler: tc.handler},
			pyZip(t, map[string]string{"app.py": tc.source}), protocol.CodeCodeLoadFailed)
		if !strings.HasPrefix(em.Message, "Runtime.ImportModuleError") || !strings.Contains(em.Message, tc.inMessage) ||
			!strings.Contains(em.Detail, tc.inDetail) {
			t.Fatalf("%s: message %q detail %q", tc.name, em.Message, em.Detail)
		}
		a.wantNoCode(t, tc.name)
	}
	// The helper still imports good code.
	a.load(t, protocol.LoadCodeRequest{Runtime: protocol.RuntimePython3, Handler: "app.handler"},
		pyZip(t, map[string]string{"app.py": handlerPy}))
	if rm, body := a.pyInvoke(t, `{"op":"count"}`, 30000); rm.Status != protocol.StatusOK || body != "1" {
		t.Fatalf("after import errors: %+v %s", rm, body)
	}
}

func TestPythonHandlerValidation(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimePython3)
	pkg := pyZip(t, map[string]string{"app.py": handlerPy})
	for _, h := range []string{"nodot", ""} {
		a.loadError(t, fmt.Sprintf("handler %q", h), protocol.LoadCodeRequest{Runtime: protocol.RuntimePython3, Handler: h}, pkg, protocol.CodeInvalidRequest)
	}
	if st := a.ping(t); st.CodeLoaded {
		t.Fatalf("after refused loads: %+v", st)
	}
}

// A dotted module path, and a package read in place from a directory.
func TestPythonDottedHandlerFromDirectory(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimePython3)
	dir := t.TempDir()
	for name, body := range map[string]string{
		"pkg/__init__.py": "",
		"pkg/mod.py":      "from pkg import helper\ndef fn(event, context):\n    return helper.double(event)\n",
		"pkg/helper.py":   "def double(x):\n    return [x, x]\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a.load(t, protocol.LoadCodeRequest{Runtime: protocol.RuntimePython3, Handler: "pkg.mod.fn", Path: dir}, nil)
	if rm, body := a.pyInvoke(t, `"x"`, 30000); rm.Status != protocol.StatusOK || body != `["x","x"]` {
		t.Fatalf("pkg.mod.fn: %+v %s", rm, body)
	}
}

// A timeout kills the helper; the next INVOKE waits for a new one with the code re-imported
// (module state is lost).
func TestPythonTimeoutAndRecovery(t *testing.T) {
	t.Parallel()
	a := startPython(t)
	for want := 1; want <= 2; want++ {
		if rm, body := a.pyInvoke(t, `{"op":"count"}`, 30000); rm.Status != protocol.StatusOK || body != strconv.Itoa(want) {
			t.Fatalf("count: %+v %s, want %d", rm, body, want)
		}
	}
	rm, _ := a.pyInvoke(t, `{"op":"sleep","s":300}`, 1000)
	if rm.Status != protocol.StatusTimeout || rm.ErrorType != "Runtime.Timeout" {
		t.Fatalf("timeout: %+v", rm)
	}
	if rm, body := a.pyInvoke(t, `{"op":"count"}`, 60000); rm.Status != protocol.StatusOK || body != "1" {
		t.Fatalf("after the timeout: %+v %s, want a fresh import (1)", rm, body)
	}
	if rm, body := a.pyInvoke(t, `{"op":"echo"}`, 60000); rm.Status != protocol.StatusOK || !strings.Contains(body, `"env":"hi"`) {
		t.Fatalf("after the timeout: %+v %s (env of the load must be restored)", rm, body)
	}
}

func TestPythonCrashRecovers(t *testing.T) {
	t.Parallel()
	a := startPython(t)
	_, pidBody := a.pyInvoke(t, `{"op":"pid"}`, 30000)
	pid, err := strconv.Atoi(pidBody)
	if err != nil {
		t.Fatalf("pid %q", pidBody)
	}
	rm, _ := a.pyInvoke(t, `{"op":"crash"}`, 30000)
	if rm.Status != protocol.StatusFunctionError || rm.ErrorType != "Runtime.ExitError" {
		t.Fatalf("os._exit: %+v", rm)
	}
	waitGone(t, pid, "the crashed helper")
	if rm, body := a.pyInvoke(t, `{"op":"count"}`, 60000); rm.Status != protocol.StatusOK || body != "1" {
		t.Fatalf("after the crash: %+v %s", rm, body)
	}
}

// Loading new code forgets the previous function: its modules and its environment.
func TestPythonReloadForgetsPreviousFunction(t *testing.T) {
	t.Parallel()
	a := startPython(t)
	a.load(t, protocol.LoadCodeRequest{Runtime: protocol.RuntimePython3, Handler: "app.handler"},
		pyZip(t, map[string]string{"app.py": "import os\ndef handler(e, c):\n    return [2, os.environ.get('GREETING')]\n"}))
	if rm, body := a.pyInvoke(t, `{}`, 30000); rm.Status != protocol.StatusOK || body != `[2,null]` {
		t.Fatalf("second function: %+v %s", rm, body)
	}
}

// Every image has the provided runtime.
func TestPythonImageRunsProvided(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimePython3)
	a.loadScript(t, "printf 'provided here'\n")
	a.wantOutput(t, "provided in the python3 image", nil, "provided here")
}

// SHUTDOWN stops the helper and ends the agent.
func TestPythonShutdownStopsHelper(t *testing.T) {
	t.Parallel()
	a := startPython(t)
	_, body := a.pyInvoke(t, `{"op":"pid"}`, 30000)
	var pid int
	if err := json.Unmarshal([]byte(body), &pid); err != nil || pid <= 0 {
		t.Fatalf("helper pid %q: %v", body, err)
	}
	f, err := a.call(t, protocol.TypeShutdown, nil, nil)
	mustReply(t, protocol.TypeShutdown, f, err, nil)
	if err := a.waitExit(t); err != nil {
		t.Fatalf("agent exit after SHUTDOWN: %v", err)
	}
	waitGone(t, pid, "the python helper")
}
