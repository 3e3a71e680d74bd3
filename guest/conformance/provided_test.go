package conformance

import (
	"bufio"
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"faaster.dev/guest/protocol"
)

func TestProvidedEcho(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	a.loadScript(t, "printf 'got:'; cat\n")
	// Unknown meta fields are ignored (forward compatibility).
	f, err := a.call(t, protocol.TypeInvoke, map[string]any{"timeoutMs": 30000, "invocationId": "inv-1", "futureField": []int{1}},
		[]byte(`{"x":1}`))
	var rm protocol.ResultMeta
	mustReply(t, protocol.TypeInvoke, f, err, &rm)
	if rm.Status != protocol.StatusOK || string(f.Body) != `got:{"x":1}` || rm.ErrorType != "" {
		t.Fatalf("echo: %+v %q", rm, f.Body)
	}
	if rm.ExitCode == nil || *rm.ExitCode != 0 || rm.DurationMs < 0 {
		t.Fatalf("echo meta %+v: want exitCode 0 and a duration", rm)
	}

	// Any bytes are an event; an empty event is an empty stdin.
	bin := make([]byte, 0, 4096)
	for i := 0; i < 4096; i++ {
		bin = append(bin, byte(i))
	}
	if rm, body := a.invoke(t, protocol.InvokeRequest{TimeoutMs: 30000}, bin); rm.Status != protocol.StatusOK || !bytes.Equal(body, append([]byte("got:"), bin...)) {
		t.Fatalf("binary event: %+v, %d bytes back", rm, len(body))
	}
	a.wantOutput(t, "empty event", nil, "got:")
	// Big events and responses cross the channel in many pieces.
	big := entropy(t, 5<<20)
	if rm, body := a.invoke(t, protocol.InvokeRequest{TimeoutMs: 60000}, big); rm.Status != protocol.StatusOK || !bytes.Equal(body, append([]byte("got:"), big...)) {
		t.Fatalf("5 MiB event: %+v, %d bytes back", rm, len(body))
	}
}

func TestProvidedExitCodeAndStderrTail(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	a.loadScript(t, `printf partial
i=0; while [ $i -lt 2000 ]; do echo "noise $i" >&2; i=$((i+1)); done
echo boom >&2
exit 3
`)
	rm, body := a.invoke(t, protocol.InvokeRequest{TimeoutMs: 30000}, nil)
	if rm.Status != protocol.StatusFunctionError || rm.ErrorType != "Runtime.ExitError" || rm.ErrorMessage == "" {
		t.Fatalf("exit 3: %+v", rm)
	}
	if rm.ExitCode == nil || *rm.ExitCode != 3 {
		t.Fatalf("exit code %v, want 3", rm.ExitCode)
	}
	if len(rm.StderrTail) > protocol.StderrTailMax || len(rm.StderrTail) < 1000 || !strings.HasSuffix(rm.StderrTail, "noise 1999\nboom\n") {
		t.Fatalf("stderr tail of %d bytes: want the last 4 KiB, ending %q", len(rm.StderrTail), rm.StderrTail[max(0, len(rm.StderrTail)-40):])
	}
	if string(body) != "partial" {
		t.Fatalf("body %q: want what stdout held", body)
	}
	if st := a.ping(t); st.Busy || !st.CodeLoaded {
		t.Fatalf("after a failed invocation: %+v", st)
	}
}

func TestProvidedKilledBySignalAndInvalidUTF8(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	a.loadScript(t, "read ev\ncase \"$ev\" in\nkill) kill -9 $$ ;;\nutf8) printf 'bad \\377\\376 bytes\\n' >&2; exit 1 ;;\nesac\n")
	rm, _ := a.invoke(t, protocol.InvokeRequest{TimeoutMs: 30000}, []byte("kill\n"))
	if rm.Status != protocol.StatusFunctionError || rm.ErrorType != "Runtime.ExitError" || rm.ExitCode == nil || *rm.ExitCode != 128+9 {
		t.Fatalf("killed by SIGKILL: %+v (exit code %v, want 137)", rm, rm.ExitCode)
	}
	f, err := a.call(t, protocol.TypeInvoke, protocol.InvokeRequest{TimeoutMs: 30000}, []byte("utf8\n"))
	mustReply(t, protocol.TypeInvoke, f, err, &rm)
	if !utf8.Valid(f.Meta) {
		t.Fatalf("RESULT meta is not valid UTF-8: %q", f.Meta)
	}
	if rm.ExitCode == nil || *rm.ExitCode != 1 || !strings.Contains(rm.StderrTail, "bad ") || !strings.Contains(rm.StderrTail, "\uFFFD") ||
		!strings.HasSuffix(rm.StderrTail, " bytes\n") {
		t.Fatalf("stderr tail %q: want invalid UTF-8 replaced by U+FFFD", rm.StderrTail)
	}
}

func TestProvidedStartError(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	a.load(t, provided, zipOf(t, zfile{"bootstrap", "#!/nonexistent/interpreter\n", 0o755}))
	rm, _ := a.invoke(t, protocol.InvokeRequest{TimeoutMs: 30000}, nil)
	if rm.Status != protocol.StatusFunctionError || rm.ErrorType != "Runtime.StartError" {
		t.Fatalf("bootstrap that can't be started: %+v", rm)
	}
}

func TestProvidedTimeoutKillsProcessGroup(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	pidFile := filepath.Join(t.TempDir(), "pid")
	a.loadScript(t, fmt.Sprintf(`read ev
if [ "$ev" = sleep ]; then
  sleep 300 &
  echo $! > %s
  printf 'before timeout'
  sleep 300
fi
printf fine
`, pidFile))
	rm, body := a.invoke(t, protocol.InvokeRequest{TimeoutMs: 500}, []byte("sleep\n"))
	if rm.Status != protocol.StatusTimeout || rm.ErrorType != "Runtime.Timeout" {
		t.Fatalf("timeout: %+v %q", rm, body)
	}
	// The child in the function's process group goes with it.
	waitGone(t, readPid(t, pidFile), "a child of the timed-out function")
	if st := a.ping(t); st.Busy {
		t.Fatalf("busy after the timeout: %+v", st)
	}
	a.wantOutput(t, "after a timeout", []byte("other\n"), "fine")
}

// After every invocation whatever is left in its process group is killed.
func TestProvidedLeftoverChildIsKilled(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	pidFile := filepath.Join(t.TempDir(), "pid")
	a.loadScript(t, fmt.Sprintf("sleep 300 &\necho $! > %s\necho done\n", pidFile))
	rm, body := a.invoke(t, protocol.InvokeRequest{TimeoutMs: 60000}, nil)
	if rm.Status != protocol.StatusOK || strings.TrimSpace(string(body)) != "done" {
		t.Fatalf("%+v %q", rm, body)
	}
	waitGone(t, readPid(t, pidFile), "a child left running by the function")
}

func TestProvidedResponseSize(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	a.loadScript(t, "read n\nhead -c \"$n\" /dev/zero\n")
	rm, body := a.invoke(t, protocol.InvokeRequest{TimeoutMs: 60000}, []byte(fmt.Sprintf("%d\n", protocol.MaxBody)))
	if rm.Status != protocol.StatusOK || len(body) != protocol.MaxBody || bytes.IndexByte(body, 1) >= 0 {
		t.Fatalf("response of exactly 6 MiB: %+v, %d bytes", rm, len(body))
	}
	rm, _ = a.invoke(t, protocol.InvokeRequest{TimeoutMs: 60000}, []byte(fmt.Sprintf("%d\n", protocol.MaxBody+1)))
	if rm.Status != protocol.StatusFunctionError || rm.ErrorType != "Runtime.ResponseTooLarge" {
		t.Fatalf("response of 6 MiB + 1: %+v", rm)
	}
	if rm, body := a.invoke(t, protocol.InvokeRequest{TimeoutMs: 60000}, []byte("3\n")); rm.Status != protocol.StatusOK || len(body) != 3 {
		t.Fatalf("after a response too large: %+v %d bytes", rm, len(body))
	}
}

func TestProvidedEnvironment(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	a.setIdentity(t, "i-env", "fn-env")
	req := protocol.LoadCodeRequest{
		Runtime: protocol.RuntimeProvided, Handler: "my.handler", FunctionName: "fn", FunctionVersion: "7", MemoryMiB: 256,
		Env: map[string]string{"GREETING": "hello world", "EMPTY": "", "FAASTER_INVOCATION_ID": "spoofed", "HOME": "/override"},
	}
	lr := a.load(t, req, bootstrapZip(t, "env\necho \"CWD=$(pwd -P)\"\n"))
	parse := func(body []byte) map[string]string {
		env := map[string]string{}
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), "="); ok {
				env[k] = v
			}
		}
		return env
	}
	rm, body := a.invoke(t, protocol.InvokeRequest{TimeoutMs: 5000, InvocationID: "inv-1"}, nil)
	if rm.Status != protocol.StatusOK {
		t.Fatalf("%+v %q", rm, body)
	}
	env := parse(body)
	codeDir, err := filepath.EvalSymlinks(lr.CodeDir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": "/override", "LANG": "C.UTF-8", "TZ": "UTC",
		"GREETING": "hello world", "EMPTY": "",
		"FAASTER_CODE_DIR": lr.CodeDir, "_HANDLER": "my.handler", "FAASTER_FUNCTION_NAME": "fn",
		"FAASTER_FUNCTION_VERSION": "7", "FAASTER_MEMORY_MIB": "256", "FAASTER_INSTANCE_ID": "i-env",
		"FAASTER_INVOCATION_ID": "inv-1", "FAASTER_TIMEOUT_MS": "5000", "CWD": codeDir,
	}
	for k, v := range want {
		if got, ok := env[k]; !ok || got != v {
			t.Errorf("%s=%q (set: %v), want %q", k, got, ok, v)
		}
	}
	if v, ok := env[canaryEnv]; ok {
		t.Errorf("the agent's own environment leaked into the function: %s=%s", canaryEnv, v)
	}
	if t.Failed() {
		t.Fatalf("function environment:\n%s", body)
	}

	// timeoutMs 0 is the default, 3000 ms.
	rm, body = a.invoke(t, protocol.InvokeRequest{}, nil)
	if rm.Status != protocol.StatusOK || parse(body)["FAASTER_TIMEOUT_MS"] != "3000" || parse(body)["FAASTER_INVOCATION_ID"] != "" {
		t.Fatalf("default timeout: %+v\n%s", rm, body)
	}
	for _, ms := range []int64{-1, protocol.MaxTimeoutMs + 1} {
		f, err := a.call(t, protocol.TypeInvoke, protocol.InvokeRequest{TimeoutMs: ms}, nil)
		wantError(t, fmt.Sprintf("timeoutMs %d", ms), f, err, protocol.CodeInvalidRequest)
	}

	// Without the function's overrides the base environment shows, and the previous
	// function's variables are gone.
	a.load(t, protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided}, bootstrapZip(t, "env\n"))
	rm, body = a.invoke(t, protocol.InvokeRequest{TimeoutMs: 30000}, nil)
	env = parse(body)
	if _, ok := env["GREETING"]; rm.Status != protocol.StatusOK || ok || env["HOME"] != "/tmp" || env["_HANDLER"] != "" {
		t.Fatalf("second function: %+v\n%s", rm, body)
	}
}
