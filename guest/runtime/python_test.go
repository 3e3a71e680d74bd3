package runtime

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"faaster.dev/guest/protocol"
)

const handlerPy = `
import os, random, time
print("imported")

def handler(event, context):
    op = event.get("op") if isinstance(event, dict) else None
    if op == "echo":
        print("log line")
        return {"event": event, "id": context.aws_request_id, "fn": context.function_name,
                "env": os.environ.get("GREETING"), "left": context.get_remaining_time_in_millis() > 0}
    if op == "fail":
        raise ValueError("bad input")
    if op == "sleep":
        time.sleep(event["s"])
        return "slept"
    if op == "crash":
        os._exit(7)
    if op == "state":
        return hash(random.getstate())
    if op == "unserialisable":
        return {1, 2}
    return None
`

func startPython(t *testing.T, files map[string]string) (*Python, Code) {
	t.Helper()
	// The guest image ships Debian's python3.11; prefer the same interpreter here.
	py, err := exec.LookPath("/usr/bin/python3.11")
	if err != nil {
		if py, err = exec.LookPath("python3"); err != nil {
			t.Skip("python3 not installed")
		}
	}
	script, err := filepath.Abs("python/bootstrap.py")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := NewPython(py, script)
	p.Output = io.Discard
	p.Logf = t.Logf
	t.Cleanup(func() { p.Close() })
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	code := Code{Dir: dir, Handler: "app.handler", Env: map[string]string{"GREETING": "hi"}, FunctionName: "fn"}
	return p, code
}

func loadedPython(t *testing.T) *Python {
	p, code := startPython(t, map[string]string{"app.py": handlerPy})
	if err := p.Load(context.Background(), code); err != nil {
		t.Fatalf("load: %v", err)
	}
	return p
}

func TestPythonInvokeReturnsJSONWithContextAndLogs(t *testing.T) {
	p := loadedPython(t)
	res := invoke(p, `{"op":"echo","x":[1,2]}`, 5*time.Second)
	want := `{"event":{"op":"echo","x":[1,2]},"id":"inv-1","fn":"fn","env":"hi","left":true}`
	if res.Status != protocol.StatusOK || string(res.Payload) != want {
		t.Fatalf("%+v payload %s", res, res.Payload)
	}
	if !strings.Contains(string(res.StderrTail), "log line") {
		t.Fatalf("log tail %q", res.StderrTail)
	}
}

func TestPythonExceptionIsFunctionErrorWithTraceback(t *testing.T) {
	p := loadedPython(t)
	res := invoke(p, `{"op":"fail"}`, 5*time.Second)
	if res.Status != protocol.StatusFunctionError || res.ErrorType != "ValueError" || res.ErrorMessage != "bad input" {
		t.Fatalf("%+v", res)
	}
	if !strings.Contains(res.Trace, "Traceback") || !strings.Contains(res.Trace, `raise ValueError("bad input")`) {
		t.Fatalf("trace %q", res.Trace)
	}
	if res := invoke(p, `{"op":"unserialisable"}`, 5*time.Second); res.ErrorType != "Runtime.MarshalError" {
		t.Fatalf("%+v", res)
	}
	if res := invoke(p, `not json`, 5*time.Second); res.ErrorType != "Runtime.InvalidEvent" {
		t.Fatalf("%+v", res)
	}
	if res := invoke(p, `null`, 5*time.Second); res.Status != protocol.StatusOK || string(res.Payload) != "null" {
		t.Fatalf("helper unusable after errors: %+v", res)
	}
}

func TestPythonTimeoutRestartsHelperAndReimports(t *testing.T) {
	p := loadedPython(t)
	start := time.Now()
	res := invoke(p, `{"op":"sleep","s":10}`, 500*time.Millisecond)
	if res.Status != protocol.StatusTimeout || time.Since(start) > 3*time.Second {
		t.Fatalf("%+v after %v", res, time.Since(start))
	}
	res = invoke(p, `{"op":"echo"}`, 10*time.Second)
	if res.Status != protocol.StatusOK {
		t.Fatalf("after timeout: %+v", res)
	}
}

func TestPythonCrashIsFunctionErrorAndRecovers(t *testing.T) {
	p := loadedPython(t)
	res := invoke(p, `{"op":"crash"}`, 5*time.Second)
	if res.Status != protocol.StatusFunctionError || res.ErrorType != "Runtime.ExitError" {
		t.Fatalf("%+v", res)
	}
	if res := invoke(p, `{"op":"echo"}`, 10*time.Second); res.Status != protocol.StatusOK {
		t.Fatalf("after crash: %+v", res)
	}
}

func TestPythonImportErrorFailsLoadWithTraceback(t *testing.T) {
	p, code := startPython(t, map[string]string{"app.py": "import does_not_exist\n"})
	err := p.Load(context.Background(), code)
	var le *LoadError
	if !errors.As(err, &le) || !strings.Contains(le.Msg, "ModuleNotFoundError") || !strings.Contains(le.Detail, "does_not_exist") {
		t.Fatalf("%v", err)
	}
	if res := invoke(p, `{}`, time.Second); res.ErrorType != "Runtime.NoCode" {
		t.Fatalf("invoke after failed load: %+v", res)
	}
	code.Handler = "nodot"
	if err := p.Load(context.Background(), code); !errors.As(err, &le) {
		t.Fatalf("malformed handler: %v", err)
	}
}

func TestPythonReseedReplacesCachedRandomState(t *testing.T) {
	p := loadedPython(t)
	a := invoke(p, `{"op":"state"}`, 5*time.Second)
	b := invoke(p, `{"op":"state"}`, 5*time.Second)
	if a.Status != protocol.StatusOK || string(a.Payload) != string(b.Payload) {
		t.Fatalf("state changed without reseed: %s %s", a.Payload, b.Payload)
	}
	if err := p.Reseed(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := invoke(p, `{"op":"state"}`, 5*time.Second)
	if string(c.Payload) == string(a.Payload) {
		t.Fatal("random state unchanged after reseed: clones would share it")
	}
}

func TestPythonReloadForgetsPreviousFunction(t *testing.T) {
	p, code := startPython(t, map[string]string{"app.py": handlerPy})
	if err := p.Load(context.Background(), code); err != nil {
		t.Fatal(err)
	}
	dir2 := t.TempDir()
	os.WriteFile(filepath.Join(dir2, "app.py"), []byte("import os\ndef handler(e, c):\n    return [2, os.environ.get('GREETING')]\n"), 0o644)
	if err := p.Load(context.Background(), Code{Dir: dir2, Handler: "app.handler"}); err != nil {
		t.Fatal(err)
	}
	if res := invoke(p, `{}`, 5*time.Second); string(res.Payload) != `[2,null]` {
		t.Fatalf("%+v %s", res, res.Payload)
	}
}
