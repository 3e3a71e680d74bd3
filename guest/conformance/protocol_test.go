package conformance

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"faaster.dev/guest/client"
	"faaster.dev/guest/protocol"
)

// checkStatus checks the fields every Status of a fresh agent has.
func checkStatus(t *testing.T, what string, st protocol.Status, rt string) {
	t.Helper()
	if st.Protocol != 1 || st.Agent == "" || st.Runtime != rt || !st.RuntimeReady || st.InstanceID != "" ||
		st.CodeLoaded || st.Busy || st.UptimeMs < 0 || st.Connections != 1 {
		t.Fatalf("%s status %+v: want protocol 1, an agent version, runtime %s ready, no instance, no code, idle, 1 connection", what, st, rt)
	}
}

func TestReadyOnConnectAndReadyPingReplies(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	checkStatus(t, "unsolicited READY", a.ready, protocol.RuntimeProvided)

	f, err := a.call(t, protocol.TypeReady, nil, nil)
	var st protocol.Status
	mustReply(t, protocol.TypeReady, f, err, &st)
	checkStatus(t, "READY reply", st, protocol.RuntimeProvided)

	f, err = a.call(t, protocol.TypePing, nil, nil)
	var pong protocol.Status
	mustReply(t, protocol.TypePing, f, err, &pong)
	checkStatus(t, "PONG", pong, protocol.RuntimeProvided)
	if pong.UptimeMs < a.ready.UptimeMs {
		t.Fatalf("uptime went back: READY %d ms, later PONG %d ms", a.ready.UptimeMs, pong.UptimeMs)
	}
	if len(f.Body) != 0 {
		t.Fatalf("PONG has a body of %d bytes", len(f.Body))
	}
}

// Request ids are echoed whatever they are, and reserved header fields are ignored.
func TestRequestIdsEchoedAndHeaderFlagsIgnored(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	flagged := make([]byte, protocol.HeaderSize)
	protocol.PutHeader(flagged, protocol.Header{Version: 1, Type: protocol.TypePing, Flags: 0xBEEF, RequestID: 77})
	emptyMeta := cat(header(1, protocol.TypePing, 78, 4), []byte{0, 0, 0, 0}) // M = 0, no body: same as no payload
	withMeta := rawFrame(t, protocol.TypePing, 79, []byte(`{"future":"field"}`), nil)
	a.rawWrite(t, cat(
		rawFrame(t, protocol.TypePing, ^uint64(0), nil, nil),
		rawFrame(t, protocol.TypeReady, 1<<63, nil, nil),
		flagged, emptyMeta, withMeta,
	))
	want := map[uint64]protocol.Type{^uint64(0): protocol.TypePong, 1 << 63: protocol.TypeReadyReply,
		77: protocol.TypePong, 78: protocol.TypePong, 79: protocol.TypePong}
	for _, f := range a.framesUntilPong(t) {
		if typ, ok := want[f.RequestID]; !ok || typ != f.Type {
			t.Fatalf("unexpected %v id %d (meta %s)", f.Type, f.RequestID, f.Meta)
		}
		delete(want, f.RequestID)
	}
	if len(want) > 0 {
		t.Fatalf("no replies for %v", want)
	}
}

// The channel is a byte stream: a frame may arrive in pieces, several in one write.
func TestFramesSplitAndCoalesced(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	ping := rawFrame(t, protocol.TypePing, 501, nil, nil)
	for i := range ping {
		a.rawWrite(t, ping[i:i+1])
		if i%6 == 0 {
			time.Sleep(2 * time.Millisecond) // give the agent a chance to see a partial header
		}
	}
	f, err := a.await(t, 501)
	mustReply(t, protocol.TypePing, f, err, nil)

	// An INVOKE with a 1 MiB event in pieces, then three frames in one write.
	if _, err := a.call(t, protocol.TypeLoadCode, protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided},
		bootstrapZip(t, "cat\n")); err != nil {
		t.Fatal(err)
	}
	event := entropy(t, 1<<20)
	meta, _ := json.Marshal(protocol.InvokeRequest{TimeoutMs: 30000})
	inv := rawFrame(t, protocol.TypeInvoke, 502, meta, event)
	for off := 0; off < len(inv); off += 100_003 {
		a.rawWrite(t, inv[off:min(off+100_003, len(inv))])
	}
	f, err = a.await(t, 502)
	var rm protocol.ResultMeta
	mustReply(t, protocol.TypeInvoke, f, err, &rm)
	if rm.Status != protocol.StatusOK || string(f.Body) != string(event) {
		t.Fatalf("1 MiB echo: %+v, %d bytes back", rm, len(f.Body))
	}

	a.rawWrite(t, cat(rawFrame(t, protocol.TypePing, 503, nil, nil), rawFrame(t, protocol.TypeReady, 504, nil, nil),
		rawFrame(t, protocol.TypePing, 505, nil, nil)))
	for _, w := range []struct {
		id  uint64
		typ protocol.Type
	}{{503, protocol.TypePong}, {504, protocol.TypeReadyReply}, {505, protocol.TypePong}} {
		f, err := a.await(t, w.id) // in order: await drops frames for other ids
		if err != nil || f.Type != w.typ {
			t.Fatalf("coalesced frame %d: %v %v", w.id, f.Type, err)
		}
	}
}

// malformedCase is input the agent must answer with ERRORs (and nothing else) and then
// keep serving.
type malformedCase struct {
	name string
	raw  func(t *testing.T) []byte
	want []wantErr // in any order; id 0 for unreadable headers
}

type wantErr struct {
	id   uint64
	code string
}

func (w wantErr) String() string { return fmt.Sprintf("%d:%s", w.id, w.code) }

// embeddedPing is a complete PING frame hidden in a payload the agent must skip by its
// length: answering it would mean the agent read payload bytes as a header.
func embeddedPing(t *testing.T, id uint64) []byte {
	return rawFrame(t, protocol.TypePing, id, nil, nil)
}

func malformedCases() []malformedCase {
	big := func(t *testing.T, typ protocol.Type, id uint64, n int, inner []byte) []byte {
		b := make([]byte, protocol.HeaderSize+n)
		copy(b, header(1, typ, id, uint32(n)))
		copy(b[protocol.HeaderSize:], inner)
		return b
	}
	return []malformedCase{
		{"garbage", func(t *testing.T) []byte {
			return []byte("GET / HTTP/1.1\r\nHost: agent\r\n\r\n0123456789abcdefghijklmnopqrstuvwxyz")
		}, []wantErr{{0, protocol.CodeBadHeader}}},
		{"short garbage before a frame", func(t *testing.T) []byte { return []byte("hello") },
			[]wantErr{{0, protocol.CodeBadHeader}}},
		{"garbage with a false magic", func(t *testing.T) []byte {
			return []byte("xxxxFAAG" + strings.Repeat("y", 40) + "FAAG\x01\x02" + strings.Repeat("z", 30))
		}, []wantErr{{0, protocol.CodeBadHeader}}},
		{"header CRC mismatch", func(t *testing.T) []byte {
			h := header(1, protocol.TypePing, 201, 0)
			h[23] ^= 0x55
			return h
		}, []wantErr{{0, protocol.CodeBadHeader}}},
		{"unsupported version", func(t *testing.T) []byte {
			inner := embeddedPing(t, 203)
			return cat(header(2, protocol.TypePing, 202, uint32(len(inner))), inner)
		}, []wantErr{{202, protocol.CodeUnsupportedVersion}}},
		{"oversized payload streamed away", func(t *testing.T) []byte {
			return big(t, protocol.TypeInvoke, 204, protocol.MaxPayload+1, embeddedPing(t, 205))
		}, []wantErr{{204, protocol.CodeFrameTooLarge}}},
		{"unknown type", func(t *testing.T) []byte {
			inner := embeddedPing(t, 207)
			return cat(header(1, protocol.Type(0x42), 206, uint32(len(inner))), inner,
				header(1, protocol.Type(0x07), 208, 0), header(1, protocol.Type(0x00), 209, 0))
		}, []wantErr{{206, protocol.CodeUnknownType}, {208, protocol.CodeUnknownType}, {209, protocol.CodeUnknownType}}},
		{"reply types sent as requests", func(t *testing.T) []byte {
			return cat(header(1, protocol.TypeReadyReply, 210, 0), header(1, protocol.TypePong, 211, 0),
				rawFrame(t, protocol.TypeResult, 212, []byte(`{"status":"ok"}`), []byte("x")),
				header(1, protocol.TypeShutdownReply, 213, 0), header(1, protocol.TypeError, 214, 0))
		}, []wantErr{{210, protocol.CodeInvalidRequest}, {211, protocol.CodeInvalidRequest}, {212, protocol.CodeInvalidRequest},
			{213, protocol.CodeInvalidRequest}, {214, protocol.CodeInvalidRequest}}},
		{"payload shorter than the meta length", func(t *testing.T) []byte {
			return cat(header(1, protocol.TypePing, 215, 3), []byte{0, 0, 0})
		}, []wantErr{{215, protocol.CodeBadPayload}}},
		{"meta length beyond the payload", func(t *testing.T) []byte {
			return cat(header(1, protocol.TypePing, 216, 4), binary.BigEndian.AppendUint32(nil, 99))
		}, []wantErr{{216, protocol.CodeBadPayload}}},
		{"meta over 64 KiB", func(t *testing.T) []byte {
			m := protocol.MaxMeta + 1
			p := binary.BigEndian.AppendUint32(nil, uint32(m))
			p = append(p, '{')
			p = append(p, make([]byte, m-1)...)
			return cat(header(1, protocol.TypeInvoke, 217, uint32(len(p))), p)
		}, []wantErr{{217, protocol.CodeBadPayload}}},
		{"body over 6 MiB", func(t *testing.T) []byte {
			return big(t, protocol.TypeInvoke, 218, protocol.MaxPayload, nil) // meta length 0: the body is the rest
		}, []wantErr{{218, protocol.CodeBadPayload}}},
		{"bad meta", func(t *testing.T) []byte {
			return cat(
				rawFrame(t, protocol.TypeInvoke, 219, []byte("{nope"), nil),
				rawFrame(t, protocol.TypeLoadCode, 220, []byte("[1,2]"), []byte("PK")),
				rawFrame(t, protocol.TypeSetIdentity, 221, []byte(`{"instanceId":7,"hostname":"h"}`), make([]byte, 64)),
				rawFrame(t, protocol.TypeInvoke, 222, []byte(`{"timeoutMs":"soon"}`), nil),
				rawFrame(t, protocol.TypeLoadCode, 223, []byte(`{"runtime":"provided","env":{"A":1}}`), []byte("PK")),
			)
		}, []wantErr{{219, protocol.CodeBadMeta}, {220, protocol.CodeBadMeta}, {221, protocol.CodeBadMeta},
			{222, protocol.CodeBadMeta}, {223, protocol.CodeBadMeta}}},
	}
}

// checkErrors compares the frames that arrived before the PONG with the wanted ERRORs.
func checkErrors(t *testing.T, got []protocol.Frame, want []wantErr) {
	t.Helper()
	var g, w []string
	for _, f := range got {
		var em protocol.ErrorMeta
		if f.Type != protocol.TypeError || client.Reply(f, &em) != nil {
			t.Errorf("unexpected %v id %d meta %s", f.Type, f.RequestID, f.Meta)
			continue
		}
		if em.Message == "" {
			t.Errorf("ERROR %s id %d without a message", em.Code, f.RequestID)
		}
		g = append(g, wantErr{f.RequestID, em.Code}.String())
	}
	for _, e := range want {
		w = append(w, e.String())
	}
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, " ") != strings.Join(w, " ") {
		t.Fatalf("ERRORs before the PONG: got [%s], want [%s]", strings.Join(g, " "), strings.Join(w, " "))
	}
}

// Each malformed input gets its ERROR(s) and nothing else, and the agent still answers a
// PING afterwards (the PONG is also the proof that the stream is back in sync).
func TestMalformedInput(t *testing.T) {
	t.Parallel()
	for _, tc := range malformedCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := startAgent(t, protocol.RuntimeProvided)
			a.rawWrite(t, tc.raw(t))
			checkErrors(t, a.framesUntilPong(t), tc.want)
			st := a.ping(t)
			if st.Busy || st.CodeLoaded {
				t.Fatalf("status after malformed input: %+v", st)
			}
		})
	}
}

// All malformed inputs back to back in one write: every one is answered, in sync.
func TestMalformedInputInOneStream(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	var stream []byte
	var want []wantErr
	for _, tc := range malformedCases() {
		stream = append(stream, tc.raw(t)...)
		want = append(want, tc.want...)
		// A valid frame after each case ends a run of garbage (one bad_header per run).
		stream = append(stream, rawFrame(t, protocol.TypeReady, 900+uint64(len(want)), nil, nil)...)
	}
	a.rawWrite(t, stream)
	var errs []protocol.Frame
	readies := 0
	for _, f := range a.framesUntilPong(t) {
		if f.Type == protocol.TypeReadyReply && f.RequestID > 900 {
			readies++
			continue
		}
		errs = append(errs, f)
	}
	checkErrors(t, errs, want)
	if n := len(malformedCases()); readies != n {
		t.Fatalf("%d of %d READY requests between the malformed frames answered", readies, n)
	}
}

// A frame cut off by a disconnect is dropped; the next connection starts at a frame boundary.
func TestDisconnectMidFrame(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	meta, _ := json.Marshal(protocol.InvokeRequest{TimeoutMs: 1000})
	partial := [][]byte{
		rawFrame(t, protocol.TypePing, 601, nil, nil)[:10],                    // half a header
		rawFrame(t, protocol.TypeInvoke, 602, meta, make([]byte, 5000))[:200], // header and part of the payload
	}
	for i, p := range partial {
		a.rawWrite(t, p)
		a.reconnect(t)
		if a.ready.Connections != uint64(i+2) {
			t.Fatalf("connection %d: READY reports %d connections", i+2, a.ready.Connections)
		}
		if got := a.framesUntilPong(t); len(got) != 0 {
			t.Fatalf("after a frame cut off by a disconnect: unexpected %v id %d %s", got[0].Type, got[0].RequestID, got[0].Meta)
		}
	}
}

// Identity and loaded code survive reconnections; each connection begins with READY id 0.
func TestReconnectKeepsState(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	a.setIdentity(t, "i-reconnect", "fn-reconnect")
	a.loadScript(t, "printf 'still here'\n")
	for i := 2; i <= 3; i++ {
		a.reconnect(t)
		st := a.ready
		if st.Connections != uint64(i) || st.InstanceID != "i-reconnect" || !st.CodeLoaded || st.Busy {
			t.Fatalf("READY on connection %d: %+v", i, st)
		}
	}
	a.wantOutput(t, "invoke after reconnecting", nil, "still here")
}

// A job request while a job runs is refused with busy; READY and PING are still answered,
// and the running job is not affected.
func TestBusyWhileInvoking(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	dir := t.TempDir()
	started, release := filepath.Join(dir, "started"), filepath.Join(dir, "release")
	a.loadScript(t, fmt.Sprintf(`touch %s
i=0
while [ ! -e %s ]; do sleep 0.05; i=$((i+1)); [ $i -gt 2000 ] && exit 9; done
printf 'first:'; cat
`, started, release))

	invokeID, err := a.c.Send(protocol.TypeInvoke, protocol.InvokeRequest{TimeoutMs: 120000}, []byte("event"))
	if err != nil {
		t.Fatal(err)
	}
	st := a.waitBusy(t)
	if !st.CodeLoaded {
		t.Fatalf("status while invoking: %+v", st)
	}
	waitFile(t, started)

	f, err := a.call(t, protocol.TypeInvoke, protocol.InvokeRequest{TimeoutMs: 1000}, []byte("second"))
	wantError(t, "INVOKE while invoking", f, err, protocol.CodeBusy)
	f, err = a.call(t, protocol.TypeLoadCode, protocol.LoadCodeRequest{Runtime: protocol.RuntimeProvided}, bootstrapZip(t, "echo replaced\n"))
	wantError(t, "LOAD_CODE while invoking", f, err, protocol.CodeBusy)
	f, err = a.call(t, protocol.TypeSetIdentity, protocol.IdentityRequest{InstanceID: "i-busy", Hostname: "busy"}, entropy(t, 64))
	wantError(t, "SET_IDENTITY while invoking", f, err, protocol.CodeBusy)
	f, err = a.call(t, protocol.TypeReady, nil, nil)
	var rst protocol.Status
	mustReply(t, protocol.TypeReady, f, err, &rst)
	if !rst.Busy {
		t.Fatalf("READY while invoking: %+v", rst)
	}

	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err = a.await(t, invokeID)
	var rm protocol.ResultMeta
	mustReply(t, protocol.TypeInvoke, f, err, &rm)
	if rm.Status != protocol.StatusOK || string(f.Body) != "first:event" {
		t.Fatalf("the running invocation: %+v %q", rm, f.Body)
	}
	st = a.ping(t)
	if st.Busy || st.InstanceID != "" || !st.CodeLoaded {
		t.Fatalf("after the invocation: %+v (refused requests must not have been applied)", st)
	}
	// The refused LOAD_CODE did not replace the code.
	a.wantOutput(t, "after busy refusals", []byte("again"), "first:again")
}

// The agent is idle before it sends a job's reply: the next job may follow at once.
func TestBackToBackJobsAreNeverBusy(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	for i := 0; i < 5; i++ {
		a.setIdentity(t, fmt.Sprintf("i-%d", i), "host")
		a.loadScript(t, fmt.Sprintf("printf 'v%d:'; cat\n", i))
		for j := 0; j < 4; j++ {
			ev := fmt.Sprintf("e%d", j)
			a.wantOutput(t, fmt.Sprintf("round %d invoke %d", i, j), []byte(ev), fmt.Sprintf("v%d:%s", i, ev))
		}
	}
}

func TestShutdownAcksAndExits(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	f, err := a.call(t, protocol.TypeShutdown, nil, nil)
	var rep protocol.ShutdownReply
	mustReply(t, protocol.TypeShutdown, f, err, &rep)
	if err := a.waitExit(t); err != nil {
		t.Fatalf("agent exit after SHUTDOWN: %v", err)
	}
}

// SHUTDOWN cancels a running invocation: its process goes, the agent exits.
func TestShutdownStopsRunningInvocation(t *testing.T) {
	t.Parallel()
	a := startAgent(t, protocol.RuntimeProvided)
	pidFile := filepath.Join(t.TempDir(), "pid")
	a.loadScript(t, fmt.Sprintf("echo $$ > %s\nexec sleep 300\n", pidFile))
	if _, err := a.c.Send(protocol.TypeInvoke, protocol.InvokeRequest{TimeoutMs: 600000}, nil); err != nil {
		t.Fatal(err)
	}
	pid := readPid(t, pidFile)
	f, err := a.call(t, protocol.TypeShutdown, nil, nil)
	mustReply(t, protocol.TypeShutdown, f, err, nil)
	if err := a.waitExit(t); err != nil {
		t.Fatalf("agent exit after SHUTDOWN: %v", err)
	}
	waitGone(t, pid, "the invocation running at SHUTDOWN")
}
