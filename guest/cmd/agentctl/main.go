// Command agentctl talks to a guest agent over the unix socket QEMU exposes for the
// dev.faaster.agent virtio-serial port: one request per run, reply printed as JSON.
//
//	agentctl -sock S wait-ready
//	agentctl -sock S ping
//	agentctl -sock S identity -instance-id i-1 -hostname fn-1 [-ip 10.0.2.15 -prefix 24 -gateway 10.0.2.2 -mac 52:54:00:12:34:56]
//	agentctl -sock S load -runtime provided (-zip F | -dir D | -path GUEST_PATH) [-handler H] [-env K=V]...
//	agentctl -sock S invoke [-timeout-ms 3000] [-event JSON | -event-file F] [-expect ok]
//	agentctl -sock S malformed        # garbage, bad frames, then PING: the agent must keep serving
//	agentctl -sock S shutdown
//
// Exit status: 0 reply received (and -expect matched), 1 transport failure or timeout,
// 2 usage, 3 ERROR reply, 4 -expect mismatch.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"faaster.dev/guest/client"
	"faaster.dev/guest/protocol"
)

type envFlag map[string]string

func (e envFlag) String() string { return fmt.Sprint(map[string]string(e)) }
func (e envFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	e[k] = v
	return nil
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: agentctl [-sock PATH] [-timeout D] wait-ready|ping|identity|load|invoke|malformed|shutdown [flags]")
	flag.PrintDefaults()
	os.Exit(2)
}

func main() {
	sock := flag.String("sock", "agent.sock", "unix socket of the agent's virtio-serial port")
	timeout := flag.Duration("timeout", 30*time.Second, "overall deadline (connect + reply)")
	flag.Usage = usage
	flag.Parse()
	if flag.NArg() < 1 {
		usage()
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	cmd, args := flag.Arg(0), flag.Args()[1:]
	c, err := client.Dial(ctx, *sock)
	if err != nil {
		fail(1, err)
	}
	defer c.Close()
	switch cmd {
	case "wait-ready":
		st, err := c.WaitReady(ctx)
		if err != nil {
			fail(1, err)
		}
		emit(map[string]any{"type": "READY", "elapsedMs": ms(time.Since(start)), "status": st})
	case "ping":
		do(ctx, c, start, protocol.TypePing, nil, nil, "")
	case "identity":
		identity(ctx, c, start, args)
	case "load":
		load(ctx, c, start, args)
	case "invoke":
		invoke(ctx, c, start, args)
	case "malformed":
		malformed(ctx, c, start)
	case "shutdown":
		do(ctx, c, start, protocol.TypeShutdown, nil, nil, "")
	default:
		usage()
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fail(code int, err error) {
	fmt.Fprintln(os.Stderr, "agentctl:", err)
	os.Exit(code)
}

func emit(v any) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// do sends one request and prints its reply; expect checks RESULT status.
func do(ctx context.Context, c *client.Client, start time.Time, t protocol.Type, meta any, body []byte, expect string) {
	sent := time.Now()
	f, err := c.Call(ctx, t, meta, body)
	out := map[string]any{"type": f.Type.String(), "requestId": f.RequestID, "elapsedMs": ms(time.Since(start)), "rttMs": ms(time.Since(sent))}
	var re *client.RemoteError
	if err != nil && !errors.As(err, &re) {
		fail(1, err)
	}
	var m any
	if len(f.Meta) > 0 {
		_ = json.Unmarshal(f.Meta, &m)
	}
	out["meta"] = m
	if len(f.Body) > 0 {
		if utf8.Valid(f.Body) {
			out["body"] = string(f.Body)
		} else {
			out["bodyBase64"] = base64.StdEncoding.EncodeToString(f.Body)
		}
	}
	emit(out)
	if re != nil {
		os.Exit(3)
	}
	if expect != "" {
		var rm protocol.ResultMeta
		if client.Reply(f, &rm) != nil || rm.Status != expect {
			fmt.Fprintf(os.Stderr, "agentctl: status %q, expected %q\n", rm.Status, expect)
			os.Exit(4)
		}
	}
}

func identity(ctx context.Context, c *client.Client, start time.Time, args []string) {
	fs := flag.NewFlagSet("identity", flag.ExitOnError)
	var req protocol.IdentityRequest
	fs.StringVar(&req.InstanceID, "instance-id", "", "instance id")
	fs.StringVar(&req.Hostname, "hostname", "", "host name")
	fs.StringVar(&req.IP, "ip", "", "IP address")
	fs.IntVar(&req.Prefix, "prefix", 24, "prefix length (with -ip)")
	fs.StringVar(&req.Gateway, "gateway", "", "default gateway")
	fs.StringVar(&req.MAC, "mac", "", "MAC address")
	fs.StringVar(&req.Interface, "interface", "", "interface (default: first non-loopback)")
	n := fs.Int("entropy-bytes", 64, "random bytes for the guest RNG")
	setClock := fs.Bool("set-clock", true, "send the host's time")
	fs.Parse(args)
	if req.IP == "" {
		req.Prefix = 0
	}
	if *setClock {
		req.UnixTimeMs = time.Now().UnixMilli()
	}
	entropy := make([]byte, *n)
	if _, err := rand.Read(entropy); err != nil {
		fail(1, err)
	}
	do(ctx, c, start, protocol.TypeSetIdentity, req, entropy, "")
}

// zipDir zips a directory keeping file modes (so bootstrap stays executable).
func zipDir(dir string) ([]byte, error) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			h.Name += "/"
			_, err = w.CreateHeader(h)
			return err
		}
		h.Method = zip.Deflate
		fw, err := w.CreateHeader(h)
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			_, err = fw.Write([]byte(t))
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = fw.Write(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = w.Close()
	return buf.Bytes(), err
}

func load(ctx context.Context, c *client.Client, start time.Time, args []string) {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	var req protocol.LoadCodeRequest
	env := envFlag{}
	fs.StringVar(&req.Runtime, "runtime", protocol.RuntimeProvided, "provided | python3")
	fs.StringVar(&req.Handler, "handler", "", "handler (python3: module.function)")
	fs.StringVar(&req.Path, "path", "", "code package path inside the guest (zip file or directory)")
	fs.StringVar(&req.FunctionName, "function-name", "", "function name")
	fs.StringVar(&req.FunctionVersion, "function-version", "", "function version")
	fs.IntVar(&req.MemoryMiB, "memory-mib", 128, "memory size reported to the function")
	fs.Var(env, "env", "KEY=VALUE (repeatable)")
	zipFile := fs.String("zip", "", "zip file on the host to send")
	dir := fs.String("dir", "", "directory on the host to zip and send")
	fs.Parse(args)
	if len(env) > 0 {
		req.Env = env
	}
	var body []byte
	var err error
	switch {
	case *zipFile != "":
		body, err = os.ReadFile(*zipFile)
	case *dir != "":
		body, err = zipDir(*dir)
	case req.Path == "":
		err = errors.New("load needs -zip, -dir or -path")
	}
	if err != nil {
		fail(2, err)
	}
	do(ctx, c, start, protocol.TypeLoadCode, req, body, "")
}

func invoke(ctx context.Context, c *client.Client, start time.Time, args []string) {
	fs := flag.NewFlagSet("invoke", flag.ExitOnError)
	var req protocol.InvokeRequest
	fs.Int64Var(&req.TimeoutMs, "timeout-ms", 3000, "function timeout")
	fs.StringVar(&req.InvocationID, "id", "", "invocation id (default: generated)")
	event := fs.String("event", "", "event (JSON text)")
	eventFile := fs.String("event-file", "", "read the event from this file (- for stdin)")
	expect := fs.String("expect", "", "exit 4 unless the RESULT status is this (ok, function_error, timeout)")
	fs.Parse(args)
	if req.InvocationID == "" {
		req.InvocationID = fmt.Sprintf("inv-%d", time.Now().UnixNano())
	}
	body := []byte(*event)
	if *eventFile != "" {
		var err error
		if *eventFile == "-" {
			body, err = io.ReadAll(os.Stdin)
		} else {
			body, err = os.ReadFile(*eventFile)
		}
		if err != nil {
			fail(2, err)
		}
	}
	do(ctx, c, start, protocol.TypeInvoke, req, body, *expect)
}

// malformed sends frames the agent must reject with ERROR and then checks it still answers.
func malformed(ctx context.Context, c *client.Client, start time.Time) {
	var stream []byte
	stream = append(stream, "this is not a frame\x00\xff"...)
	hdr := make([]byte, protocol.HeaderSize)
	protocol.PutHeader(hdr, protocol.Header{Version: 9, Type: protocol.TypePing, RequestID: 9001})
	stream = append(stream, hdr...)
	protocol.PutHeader(hdr, protocol.Header{Version: protocol.Version, Type: protocol.Type(0x42), RequestID: 9002})
	stream = append(stream, hdr...)
	bad, _ := protocol.Encode(protocol.Frame{Type: protocol.TypeInvoke, RequestID: 9003, Meta: []byte("{not json")})
	stream = append(stream, bad...)
	protocol.PutHeader(hdr, protocol.Header{Version: protocol.Version, Type: protocol.TypeInvoke, RequestID: 9004, PayloadLen: protocol.MaxPayload + 1})
	stream = append(stream, hdr...)
	stream = append(stream, make([]byte, protocol.MaxPayload+1)...)
	if _, err := c.RawWrite(stream); err != nil {
		fail(1, err)
	}
	want := map[uint64]string{0: protocol.CodeBadHeader, 9001: protocol.CodeUnsupportedVersion,
		9002: protocol.CodeUnknownType, 9003: protocol.CodeBadMeta, 9004: protocol.CodeFrameTooLarge}
	got := map[string]string{}
	for len(got) < len(want) {
		f, err := c.Receive(ctx)
		if err != nil {
			fail(1, fmt.Errorf("waiting for ERROR replies (got %v): %w", got, err))
		}
		if f.Type != protocol.TypeError {
			continue
		}
		var em protocol.ErrorMeta
		_ = client.Reply(f, &em)
		got[fmt.Sprint(f.RequestID)] = em.Code
	}
	ok := true
	for id, code := range want {
		if got[fmt.Sprint(id)] != code {
			ok = false
		}
	}
	_, err := c.Call(ctx, protocol.TypePing, nil, nil)
	emit(map[string]any{"errors": got, "asExpected": ok, "pingAfter": err == nil, "elapsedMs": ms(time.Since(start))})
	if !ok || err != nil {
		os.Exit(4)
	}
}
