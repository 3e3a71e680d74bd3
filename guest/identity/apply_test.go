package identity

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"faaster.dev/guest/protocol"
)

// fakePool records what the agent fed the kernel RNG, in order, into a shared log.
type fakePool struct {
	log       *[]string
	added     []byte
	addErr    error
	reseedErr error
}

func (p *fakePool) AddEntropy(b []byte) error {
	*p.log = append(*p.log, "add-entropy")
	p.added = append(p.added, b...)
	return p.addErr
}

func (p *fakePool) Reseed() error {
	*p.log = append(*p.log, "reseed-kernel")
	return p.reseedErr
}

type fixture struct {
	log  []string
	pool *fakePool
	a    *Applier
	dir  string
}

func newFixture(t *testing.T, ifaces ...string) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	f.pool = &fakePool{log: &f.log}
	netDir := filepath.Join(f.dir, "net")
	os.MkdirAll(filepath.Join(netDir, "lo"), 0o755)
	for _, i := range ifaces {
		os.MkdirAll(filepath.Join(netDir, i), 0o755)
	}
	f.a = &Applier{
		Entropy:       f.pool,
		RuntimeReseed: func() error { f.log = append(f.log, "reseed-runtime"); return nil },
		SetHostname:   func(n string) error { f.log = append(f.log, "hostname "+n); return nil },
		SetClock:      func(t time.Time) error { f.log = append(f.log, "clock "+t.UTC().Format(time.RFC3339)); return nil },
		Run: func(name string, args ...string) ([]byte, error) {
			f.log = append(f.log, name+" "+strings.Join(args, " "))
			return nil, nil
		},
		NetDir:    netDir,
		HostsFile: filepath.Join(f.dir, "hosts"),
		IPCommand: "ip",
	}
	return f
}

var entropy32 = bytes.Repeat([]byte{0xA5}, 32)

func TestApplyReseedsBeforeAnythingElse(t *testing.T) {
	f := newFixture(t, "eth0")
	req := protocol.IdentityRequest{InstanceID: "i-1", Hostname: "fn-1", IP: "10.0.2.15", Prefix: 24,
		Gateway: "10.0.2.2", MAC: "52:54:00:00:00:01", UnixTimeMs: 1700000000000}
	rep, err := f.a.Apply(req, entropy32)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"add-entropy", "reseed-kernel", "reseed-runtime", "clock 2023-11-14T22:13:20Z", "hostname fn-1",
		"ip link set dev eth0 address 52:54:00:00:00:01",
		"ip addr flush dev eth0",
		"ip addr add 10.0.2.15/24 dev eth0",
		"ip link set dev eth0 up",
		"ip route replace default via 10.0.2.2 dev eth0",
	}
	if strings.Join(f.log, "\n") != strings.Join(want, "\n") {
		t.Fatalf("steps:\n%s\nwant:\n%s", strings.Join(f.log, "\n"), strings.Join(want, "\n"))
	}
	if !bytes.Equal(f.pool.added, entropy32) {
		t.Fatal("entropy bytes not passed through unchanged")
	}
	if rep.Network != protocol.NetworkConfigured || rep.Interface != "eth0" || !rep.KernelReseeded ||
		!rep.RuntimeReseeded || rep.EntropyBytes != 32 || !rep.ClockSet {
		t.Fatalf("reply %+v", rep)
	}
	hosts, _ := os.ReadFile(f.a.HostsFile)
	if !strings.Contains(string(hosts), "10.0.2.15\tfn-1") {
		t.Fatalf("hosts file %q", hosts)
	}
	// Every step is timed, so the host can see where a slow identity went.
	for _, step := range []string{"entropy", "kernelReseed", "runtimeReseed", "clock", "hostname", "network", "hosts"} {
		if us, ok := rep.StepsMicros[step]; !ok || us < 0 {
			t.Fatalf("step %s: %d µs (present %v) in %v", step, us, ok, rep.StepsMicros)
		}
	}
}

func TestApplyWithoutInterfaceStillReseedsAndNamesHost(t *testing.T) {
	f := newFixture(t)
	rep, err := f.a.Apply(protocol.IdentityRequest{InstanceID: "i-2", Hostname: "h2", IP: "10.0.0.2", Prefix: 24}, entropy32)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Network != protocol.NetworkNoInterface || !rep.KernelReseeded {
		t.Fatalf("reply %+v", rep)
	}
	for _, l := range f.log {
		if strings.HasPrefix(l, "ip ") {
			t.Fatalf("ran %q without an interface", l)
		}
	}
}

func TestApplyRejectsInvalidRequestBeforeTouchingTheGuest(t *testing.T) {
	cases := map[string]struct {
		req     protocol.IdentityRequest
		entropy []byte
	}{
		"short entropy":   {protocol.IdentityRequest{InstanceID: "i", Hostname: "h"}, entropy32[:31]},
		"bad hostname":    {protocol.IdentityRequest{InstanceID: "i", Hostname: "-h"}, entropy32},
		"bad instance id": {protocol.IdentityRequest{InstanceID: "../x", Hostname: "h"}, entropy32},
		"bad ip":          {protocol.IdentityRequest{InstanceID: "i", Hostname: "h", IP: "10.0.0.300", Prefix: 24}, entropy32},
		"bad prefix":      {protocol.IdentityRequest{InstanceID: "i", Hostname: "h", IP: "10.0.0.3", Prefix: 33}, entropy32},
		"bad mac":         {protocol.IdentityRequest{InstanceID: "i", Hostname: "h", MAC: "52:54:00"}, entropy32},
		"gateway, no ip":  {protocol.IdentityRequest{InstanceID: "i", Hostname: "h", Gateway: "10.0.0.1"}, entropy32},
		"injected iface":  {protocol.IdentityRequest{InstanceID: "i", Hostname: "h", IP: "10.0.0.3", Prefix: 24, Interface: "eth0 up; reboot"}, entropy32},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, "eth0")
			if _, err := f.a.Apply(tc.req, tc.entropy); err == nil {
				t.Fatal("accepted")
			}
			if len(f.log) != 0 {
				t.Fatalf("applied %v before rejecting", f.log)
			}
		})
	}
}

func TestApplyStopsWhenKernelReseedFails(t *testing.T) {
	f := newFixture(t, "eth0")
	f.pool.reseedErr = errors.New("EPERM")
	rep, err := f.a.Apply(protocol.IdentityRequest{InstanceID: "i", Hostname: "h"}, entropy32)
	if err == nil || rep.KernelReseeded {
		t.Fatalf("err %v reply %+v", err, rep)
	}
	if strings.Contains(strings.Join(f.log, ","), "hostname") {
		t.Fatal("hostname applied although the RNG was not reseeded")
	}
}

func TestRandPoolInfoLayout(t *testing.T) {
	b := RandPoolInfo([]byte{1, 2, 3, 4, 5})
	if binary.NativeEndian.Uint32(b[0:4]) != 40 || binary.NativeEndian.Uint32(b[4:8]) != 5 {
		t.Fatalf("header % x", b[:8])
	}
	if !bytes.Equal(b[8:13], []byte{1, 2, 3, 4, 5}) || len(b)%4 != 0 {
		t.Fatalf("buffer % x", b)
	}
}
