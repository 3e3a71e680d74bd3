package identity

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"faaster.dev/guest/protocol"
)

// Applier applies a SET_IDENTITY request. Every side effect goes through a field so tests can
// replace it; New fills them with the real guest operations.
type Applier struct {
	Entropy EntropyPool
	// RuntimeReseed makes long-lived runtime processes drop randomness they cached before the
	// snapshot (e.g. Python's random module state). Called after the kernel reseed.
	RuntimeReseed func() error
	SetHostname   func(name string) error
	SetClock      func(t time.Time) error
	// Run runs a network command (busybox ip) and returns its combined output.
	Run func(name string, args ...string) ([]byte, error)
	// NetDir lists network interfaces (/sys/class/net).
	NetDir string
	// HostsFile is rewritten with the hostname ("" skips it).
	HostsFile string
	IPCommand string
}

// New returns an Applier acting on the running guest.
func New(pool EntropyPool) *Applier {
	return &Applier{
		Entropy:     pool,
		SetHostname: func(n string) error { return syscall.Sethostname([]byte(n)) },
		SetClock: func(t time.Time) error {
			tv := syscall.NsecToTimeval(t.UnixNano())
			return syscall.Settimeofday(&tv)
		},
		Run: func(name string, args ...string) ([]byte, error) {
			return exec.Command(name, args...).CombinedOutput()
		},
		NetDir:    "/sys/class/net",
		HostsFile: "/etc/hosts",
		IPCommand: "ip",
	}
}

var (
	hostnameRe   = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
	instanceIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	ifaceRe      = regexp.MustCompile(`^[A-Za-z0-9._-]{1,15}$`)
)

// ValidInstanceID reports whether id may name an instance (and a directory).
func ValidInstanceID(id string) bool { return instanceIDRe.MatchString(id) }

// Validate checks a request and its entropy without applying anything.
func Validate(req protocol.IdentityRequest, entropy []byte) error {
	var errs []error
	if !ValidInstanceID(req.InstanceID) {
		errs = append(errs, fmt.Errorf("instanceId %q: want 1-128 of [A-Za-z0-9._-]", req.InstanceID))
	}
	if len(req.Hostname) > 64 || !hostnameRe.MatchString(req.Hostname) {
		errs = append(errs, fmt.Errorf("hostname %q is not a valid host name", req.Hostname))
	}
	if n := len(entropy); n < protocol.MinEntropy || n > protocol.MaxEntropy {
		errs = append(errs, fmt.Errorf("entropy: %d bytes, want %d..%d", n, protocol.MinEntropy, protocol.MaxEntropy))
	}
	if req.IP != "" {
		ip := net.ParseIP(req.IP)
		max := 128
		if ip != nil && ip.To4() != nil {
			max = 32
		}
		if ip == nil {
			errs = append(errs, fmt.Errorf("ip %q is not an IP address", req.IP))
		} else if req.Prefix < 1 || req.Prefix > max {
			errs = append(errs, fmt.Errorf("prefix %d: want 1..%d", req.Prefix, max))
		}
	} else if req.Gateway != "" {
		errs = append(errs, errors.New("gateway without ip"))
	}
	if req.Gateway != "" && net.ParseIP(req.Gateway) == nil {
		errs = append(errs, fmt.Errorf("gateway %q is not an IP address", req.Gateway))
	}
	if req.MAC != "" {
		if hw, err := net.ParseMAC(req.MAC); err != nil || len(hw) != 6 {
			errs = append(errs, fmt.Errorf("mac %q is not a 48-bit MAC address", req.MAC))
		}
	}
	if req.Interface != "" && !ifaceRe.MatchString(req.Interface) {
		errs = append(errs, fmt.Errorf("interface %q is not an interface name", req.Interface))
	}
	if req.UnixTimeMs < 0 {
		errs = append(errs, errors.New("unixTimeMs is negative"))
	}
	return errors.Join(errs...)
}

// Apply validates req, then in this order: feeds the entropy to the kernel and reseeds its
// CRNG, has the runtime re-read cached randomness, sets the clock and hostname, and
// configures the network interface. A failure stops there and is returned with what was
// done so far; the request is idempotent, so the host may send it again.
func (a *Applier) Apply(req protocol.IdentityRequest, entropy []byte) (protocol.IdentityReply, error) {
	rep := protocol.IdentityReply{InstanceID: req.InstanceID, Hostname: req.Hostname, Network: protocol.NetworkNotRequested,
		StepsMicros: map[string]int64{}}
	if err := Validate(req, entropy); err != nil {
		return rep, err
	}
	last := time.Now()
	step := func(name string) {
		now := time.Now()
		rep.StepsMicros[name] = now.Sub(last).Microseconds()
		last = now
	}
	if err := a.Entropy.AddEntropy(entropy); err != nil {
		return rep, err
	}
	rep.EntropyBytes = len(entropy)
	step("entropy")
	if err := a.Entropy.Reseed(); err != nil {
		return rep, err
	}
	rep.KernelReseeded = true
	step("kernelReseed")
	if a.RuntimeReseed != nil {
		if err := a.RuntimeReseed(); err != nil {
			return rep, fmt.Errorf("runtime reseed: %w", err)
		}
		rep.RuntimeReseeded = true
		step("runtimeReseed")
	}
	if req.UnixTimeMs > 0 {
		if err := a.SetClock(time.UnixMilli(req.UnixTimeMs)); err != nil {
			return rep, fmt.Errorf("set clock: %w", err)
		}
		rep.ClockSet = true
		// time.Now carries a monotonic reading, so the jump of the wall clock doesn't skew this.
		step("clock")
	}
	if err := a.SetHostname(req.Hostname); err != nil {
		return rep, fmt.Errorf("sethostname: %w", err)
	}
	step("hostname")
	if req.IP == "" && req.MAC == "" {
		err := a.writeHosts(req.Hostname, "")
		step("hosts")
		return rep, err
	}
	iface, err := a.pickInterface(req.Interface)
	if err != nil {
		return rep, err
	}
	if iface == "" {
		rep.Network = protocol.NetworkNoInterface
		step("network")
		err := a.writeHosts(req.Hostname, "")
		step("hosts")
		return rep, err
	}
	rep.Interface = iface
	if err := a.configure(iface, req); err != nil {
		return rep, err
	}
	rep.Network = protocol.NetworkConfigured
	step("network")
	err = a.writeHosts(req.Hostname, req.IP)
	step("hosts")
	return rep, err
}

// pickInterface returns want if the guest has it, else the first non-loopback interface by
// name, or "" when there is none.
func (a *Applier) pickInterface(want string) (string, error) {
	entries, err := os.ReadDir(a.NetDir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", nil
		}
		return "", err
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); n != "lo" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if want != "" {
		for _, n := range names {
			if n == want {
				return n, nil
			}
		}
		return "", fmt.Errorf("interface %s not found (have %s)", want, strings.Join(names, ","))
	}
	if len(names) == 0 {
		return "", nil
	}
	return names[0], nil
}

func (a *Applier) ip(args ...string) error {
	out, err := a.Run(a.IPCommand, args...)
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", a.IPCommand, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (a *Applier) configure(iface string, req protocol.IdentityRequest) error {
	if req.MAC != "" {
		// Clones inherit the template's MAC from the migrated device state; set ours. Drivers
		// without live MAC change need the link down first.
		if err := a.ip("link", "set", "dev", iface, "address", req.MAC); err != nil {
			if err2 := a.ip("link", "set", "dev", iface, "down"); err2 != nil {
				return err
			}
			if err2 := a.ip("link", "set", "dev", iface, "address", req.MAC); err2 != nil {
				return err2
			}
		}
	}
	if req.IP != "" {
		// The template's address (if any) must go, or clones would answer for it.
		if err := a.ip("addr", "flush", "dev", iface); err != nil {
			return err
		}
		if err := a.ip("addr", "add", req.IP+"/"+strconv.Itoa(req.Prefix), "dev", iface); err != nil {
			return err
		}
	}
	if err := a.ip("link", "set", "dev", iface, "up"); err != nil {
		return err
	}
	if req.Gateway != "" {
		if err := a.ip("route", "replace", "default", "via", req.Gateway, "dev", iface); err != nil {
			return err
		}
	}
	return nil
}

func (a *Applier) writeHosts(hostname, ip string) error {
	if a.HostsFile == "" {
		return nil
	}
	if ip == "" {
		ip = "127.0.1.1"
	}
	content := fmt.Sprintf("127.0.0.1\tlocalhost\n::1\tlocalhost\n%s\t%s\n", ip, hostname)
	tmp := a.HostsFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return fmt.Errorf("hosts file: %w", err)
	}
	if err := os.Rename(tmp, a.HostsFile); err != nil {
		return fmt.Errorf("hosts file: %w", err)
	}
	return nil
}
