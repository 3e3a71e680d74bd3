package runtime

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"faaster.dev/guest/protocol"
)

func providedWith(t *testing.T, script string) *Provided {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	p := NewProvided()
	if err := p.Load(context.Background(), Code{Dir: dir, Handler: "h", Env: map[string]string{"GREETING": "hello"}}); err != nil {
		t.Fatal(err)
	}
	return p
}

func invoke(p Runtime, event string, timeout time.Duration) Result {
	return p.Invoke(context.Background(), Invocation{ID: "inv-1", Event: []byte(event), Timeout: timeout})
}

func TestProvidedEchoesEventWithEnvironment(t *testing.T) {
	p := providedWith(t, `read ev; printf '%s %s %s' "$GREETING" "$FAASTER_INVOCATION_ID" "$ev"`)
	res := invoke(p, `{"n":1}`, 5*time.Second)
	if res.Status != protocol.StatusOK || string(res.Payload) != `hello inv-1 {"n":1}` {
		t.Fatalf("%+v payload %q", res, res.Payload)
	}
	if res.ExitCode == nil || *res.ExitCode != 0 {
		t.Fatalf("exit code %v", res.ExitCode)
	}
}

func TestProvidedNonZeroExitIsFunctionErrorWithStderrTail(t *testing.T) {
	p := providedWith(t, `i=0; while [ $i -lt 2000 ]; do echo "noise $i" >&2; i=$((i+1)); done; echo "boom" >&2; exit 3`)
	res := invoke(p, "", 5*time.Second)
	if res.Status != protocol.StatusFunctionError || res.ErrorType != "Runtime.ExitError" {
		t.Fatalf("%+v", res)
	}
	if res.ExitCode == nil || *res.ExitCode != 3 {
		t.Fatalf("exit code %v", res.ExitCode)
	}
	if len(res.StderrTail) > protocol.StderrTailMax || !strings.HasSuffix(string(res.StderrTail), "boom\n") {
		t.Fatalf("stderr tail (%d bytes) ends %q", len(res.StderrTail), res.StderrTail[len(res.StderrTail)-20:])
	}
}

func TestProvidedTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "still-running")
	// The child outlives its parent unless the whole group is killed.
	p := providedWith(t, `(sleep 1; touch `+marker+`) & sleep 10`)
	start := time.Now()
	res := invoke(p, "", 300*time.Millisecond)
	if res.Status != protocol.StatusTimeout {
		t.Fatalf("%+v", res)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("timeout took %v", el)
	}
	time.Sleep(1500 * time.Millisecond)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a process of the timed-out function survived")
	}
}

func TestProvidedLeftoverChildDoesNotDelayResult(t *testing.T) {
	p := providedWith(t, `sleep 30 & echo done`)
	start := time.Now()
	res := invoke(p, "", 5*time.Second)
	if res.Status != protocol.StatusOK || strings.TrimSpace(string(res.Payload)) != "done" {
		t.Fatalf("%+v", res)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("result took %v", el)
	}
}

func TestProvidedOutputIsKeptWhenItsReaderRunsLate(t *testing.T) {
	// A busy guest can run the output reader long after the process exited (longer than the
	// leftover-child allowance); what the process wrote must still be the response.
	drainStartDelay = 300 * time.Millisecond
	defer func() { drainStartDelay = 0 }()
	p := providedWith(t, `sleep 30 & printf 'host=a\nmac=b\n'; echo oops >&2`)
	start := time.Now()
	res := invoke(p, "", 5*time.Second)
	if res.Status != protocol.StatusOK || string(res.Payload) != "host=a\nmac=b\n" {
		t.Fatalf("%+v payload %q", res, res.Payload)
	}
	if !strings.Contains(string(res.StderrTail), "oops") {
		t.Fatalf("stderr tail %q", res.StderrTail)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("result took %v", el)
	}
}

func TestProvidedOversizedResponse(t *testing.T) {
	if _, err := exec.LookPath("head"); err != nil {
		t.Skip("no head")
	}
	p := providedWith(t, `head -c 6291457 /dev/zero`)
	res := invoke(p, "", 10*time.Second)
	if res.Status != protocol.StatusFunctionError || res.ErrorType != "Runtime.ResponseTooLarge" {
		t.Fatalf("%s %s", res.Status, res.ErrorType)
	}
}

func TestProvidedLoadRefusesMissingOrNonExecutableBootstrap(t *testing.T) {
	dir := t.TempDir()
	p := NewProvided()
	if err := p.Load(context.Background(), Code{Dir: dir}); err == nil {
		t.Fatal("loaded a package without bootstrap")
	}
	os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"), 0o644)
	if err := p.Load(context.Background(), Code{Dir: dir}); err == nil {
		t.Fatal("loaded a non-executable bootstrap")
	}
	if res := invoke(p, "", time.Second); res.ErrorType != "Runtime.NoCode" {
		t.Fatalf("%+v", res)
	}
}

func TestTailBufferKeepsLastBytes(t *testing.T) {
	tb := newTail(4)
	tb.Write([]byte("ab"))
	tb.Write([]byte("cdef"))
	tb.Write([]byte("g"))
	if got := string(tb.Bytes()); got != "defg" {
		t.Fatalf("%q", got)
	}
}

func TestResultMetaFitsTheMetaLimit(t *testing.T) {
	huge := strings.Repeat("é\x01<", 100000) // multi-byte runes and characters JSON escapes
	m := Result{Status: protocol.StatusFunctionError, ErrorType: huge, ErrorMessage: huge, Trace: huge,
		StderrTail: []byte(huge + "\xff")}.Meta()
	f, err := protocol.NewFrame(protocol.TypeResult, 1, m, nil)
	if err != nil || len(f.Meta) > protocol.MaxMeta {
		t.Fatalf("meta %d bytes: %v", len(f.Meta), err)
	}
	if _, err := protocol.Encode(f); err != nil {
		t.Fatal(err)
	}
}
