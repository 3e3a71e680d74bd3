// Command faaster-agent is the guest agent: started by the initramfs /init, it serves the
// host on the virtio-serial port dev.faaster.agent (see guest/PROTOCOL.md). With -listen it
// serves a unix socket instead, to try the agent and agentctl on a development machine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"faaster.dev/guest/agent"
	"faaster.dev/guest/identity"
	"faaster.dev/guest/protocol"
	"faaster.dev/guest/runtime"
)

const version = "0.1.0"

func main() {
	var (
		port       = flag.String("port", "auto", `virtio-serial port device, or "auto" to find -port-name`)
		portName   = flag.String("port-name", "dev.faaster.agent", "virtio-serial port name to look for")
		portWait   = flag.Duration("port-wait", 30*time.Second, "how long to wait for the port device to appear")
		listen     = flag.String("listen", "", "serve this unix socket instead of a virtio port (development)")
		rtName     = flag.String("runtime", "", "image runtime (default: contents of /etc/faaster/runtime, else provided)")
		codeRoot   = flag.String("code-root", "/run/faaster/instances", "per-instance code directories go below this")
		shareRoot  = flag.String("share-root", "/run/faaster/shares", "host file shares (9p) are mounted below this, one directory per mount tag")
		python     = flag.String("python", "/usr/bin/python3.11", "python interpreter for the python3 runtime")
		pyScript   = flag.String("python-bootstrap", "/usr/lib/faaster/bootstrap.py", "python3 runtime helper script")
		poweroff   = flag.Bool("poweroff", true, "power the VM off after SHUTDOWN (ignored with -listen)")
		setupGuest = flag.Bool("guest", true, "apply identity to this machine (hostname, RNG, network); false fakes it")
		showVer    = flag.Bool("version", false, "print the version and exit")
	)
	flag.Parse()
	if *showVer {
		fmt.Println(version)
		return
	}
	log.SetFlags(log.Lmicroseconds)
	log.SetPrefix("faaster-agent: ")
	logf := log.Printf

	if *rtName == "" {
		*rtName = protocol.RuntimeProvided
		if b, err := os.ReadFile("/etc/faaster/runtime"); err == nil && strings.TrimSpace(string(b)) != "" {
			*rtName = strings.TrimSpace(string(b))
		}
	}
	logf("version %s, runtime %s, kernel uptime %s", version, *rtName, uptime())

	runtimes := map[string]runtime.Runtime{protocol.RuntimeProvided: runtime.NewProvided()}
	if *rtName == protocol.RuntimePython3 {
		py := runtime.NewPython(*python, *pyScript)
		py.Logf = logf
		// Started before READY goes out, so a template snapshot holds a warm interpreter.
		if err := py.Start(context.Background()); err != nil {
			logf("python3 runtime not ready (LOAD_CODE retries): %v", err)
		}
		runtimes[protocol.RuntimePython3] = py
	} else if *rtName != protocol.RuntimeProvided {
		log.Fatalf("unknown runtime %q", *rtName)
	}

	var applier agent.IdentityApplier
	var realApplier *identity.Applier
	if *setupGuest {
		realApplier = identity.New(identity.KernelPool{})
		applier = realApplier
	} else {
		applier = fakeApplier{}
	}
	cfg := agent.Config{
		Version: version, Runtime: *rtName, Runtimes: runtimes, Identity: applier,
		CodeRoot: *codeRoot, Logf: logf,
	}
	if *setupGuest {
		cfg.ShareRoot, cfg.Mount = *shareRoot, mountShare
	}
	if *poweroff && *listen == "" {
		cfg.PowerOff = func() error {
			syscall.Sync()
			return syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
		}
	}
	srv := agent.New(cfg)
	if realApplier != nil {
		realApplier.RuntimeReseed = srv.ReseedRuntimes
	}

	if *listen != "" {
		serveSocket(srv, *listen, logf)
		return
	}
	path := *port
	if path == "auto" {
		var err error
		if path, err = findPort(*portName, *portWait); err != nil {
			log.Fatal(err)
		}
	}
	servePort(srv, path, logf)
}

// fakeApplier accepts identities without touching the machine (-guest=false).
type fakeApplier struct{}

func (fakeApplier) Apply(req protocol.IdentityRequest, e []byte) (protocol.IdentityReply, error) {
	return protocol.IdentityReply{InstanceID: req.InstanceID, Hostname: req.Hostname,
		Network: protocol.NetworkNotRequested, EntropyBytes: len(e)}, nil
}

// mountShare mounts the host's read-only 9p export tagged tag at dir. cache=loose: the guest
// keeps what it read (a provided function's bootstrap is exec'd on every invocation; uncached,
// each exec went back to the host: ~20 ms more per invocation under TCG). Safe because what a
// share holds never changes under a name: each package is a new directory named by its digest.
func mountShare(tag, dir string) error {
	return syscall.Mount(tag, dir, "9p", syscall.MS_RDONLY|syscall.MS_NOSUID|syscall.MS_NODEV,
		"trans=virtio,version=9p2000.L,cache=loose,msize=262144")
}

func uptime() string {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0] + "s"
}

// findPort waits for the virtio-serial port called name. Without udev there is no
// /dev/virtio-ports/<name> link, so it also matches /sys/class/virtio-ports/*/name.
func findPort(name string, wait time.Duration) (string, error) {
	deadline := time.Now().Add(wait)
	for {
		link := filepath.Join("/dev/virtio-ports", name)
		if _, err := os.Stat(link); err == nil {
			return link, nil
		}
		entries, _ := os.ReadDir("/sys/class/virtio-ports")
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join("/sys/class/virtio-ports", e.Name(), "name"))
			if err == nil && strings.TrimSpace(string(b)) == name {
				dev := filepath.Join("/dev", e.Name())
				if _, err := os.Stat(dev); err == nil {
					return dev, nil
				}
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("virtio-serial port %q did not appear within %v (virtio_console loaded? -device virtserialport,name=%s?)", name, wait, name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// servePort serves the virtio port for ever. A read returning EOF means no host is
// connected; the next Serve's READY write then blocks in the kernel until one connects.
// The fd is blocking on purpose: Go's poller would see EPOLLHUP while no host is there.
func servePort(srv *agent.Server, path string, logf func(string, ...any)) {
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		log.Fatalf("open %s: %v", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	logf("serving %s", path)
	backoff := time.Duration(0)
	for {
		began := time.Now()
		err := srv.Serve(f)
		if errors.Is(err, agent.ErrShutdown) {
			select {} // power-off in progress
		}
		if !errors.Is(err, io.EOF) {
			logf("port %s: %v", path, err)
		}
		// An EOF right after a successful READY write is a host that left at once; if it
		// keeps happening something is wrong with the port: don't spin.
		if time.Since(began) < 10*time.Millisecond {
			backoff = min(max(2*backoff, time.Millisecond), 100*time.Millisecond)
			time.Sleep(backoff)
		} else {
			backoff = 0
		}
	}
}

func serveSocket(srv *agent.Server, path string, logf func(string, ...any)) {
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		log.Fatal(err)
	}
	logf("listening on %s", path)
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		err = srv.Serve(c)
		c.Close()
		if errors.Is(err, agent.ErrShutdown) {
			return
		}
	}
}
