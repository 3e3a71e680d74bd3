package runtime

import (
	"errors"
	"io"
	"os"
	"syscall"
	"time"
)

// drainStartDelay holds back the start of every drain; tests set it to stand for a guest whose
// vCPU is busy elsewhere (under TCG on a loaded host a goroutine can wait that long to run).
var drainStartDelay time.Duration

// outputPipe carries a function process's stdout or stderr. The process writes straight into the
// pipe (an *os.File, so os/exec starts no copying goroutine of its own) and drain reads it.
//
// Why not exec's own pipes with Cmd.WaitDelay: after the process exits, exec gives its copying
// goroutine WaitDelay to finish and then closes the pipe under it. A goroutine that had not run
// yet (a busy guest) lost output the process had already written, and the invocation was
// reported OK with an empty or cut response. Here, output written before the process exited is
// always read, however late the reader runs; only a leftover child that keeps the pipe open
// without writing is given up on, after idle.
type outputPipe struct {
	r, w   *os.File
	dst    io.Writer
	exited chan struct{}
	done   chan struct{}
}

func newOutputPipe(dst io.Writer) (*outputPipe, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	return &outputPipe{r: r, w: w, dst: dst, exited: make(chan struct{}), done: make(chan struct{})}, nil
}

// started closes the parent's copy of the write end (the child holds its own) and starts reading.
func (o *outputPipe) started(idle time.Duration) {
	o.w.Close()
	go o.drain(idle)
}

// finish tells the readers the process exited, then waits until each has read everything
// written: together, so leftover children holding several pipes cost one idle allowance, not one
// per pipe.
func finish(pipes ...*outputPipe) {
	for _, o := range pipes {
		// Wakes a read blocked on an empty pipe (a read that has data returns it regardless); set
		// before exited is closed, so a reader that sees exited closed can clear it safely.
		o.r.SetReadDeadline(time.Now())
		close(o.exited)
	}
	for _, o := range pipes {
		<-o.done
		o.r.Close()
	}
}

// abandon is for a process that never started.
func (o *outputPipe) abandon() {
	o.w.Close()
	o.r.Close()
}

func (o *outputPipe) drain(idle time.Duration) {
	defer close(o.done)
	if drainStartDelay > 0 {
		time.Sleep(drainStartDelay)
	}
	buf := make([]byte, 32<<10)
	// While the process runs: blocking reads, until EOF or until finish's deadline wakes us.
	for {
		n, err := o.r.Read(buf)
		o.dst.Write(buf[:n])
		if err == io.EOF {
			return
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			<-o.exited // closed right after the deadline was set
			o.afterExit(buf, idle)
			return
		}
		if err != nil {
			return
		}
	}
}

// afterExit reads what the pipe holds without waiting, then waits at most idle for more (a
// leftover child still writing); EOF ends it at once.
func (o *outputPipe) afterExit(buf []byte, idle time.Duration) {
	// finish's wake-up deadline would fail every read from here on.
	o.r.SetReadDeadline(time.Time{})
	raw, err := o.r.SyscallConn()
	if err != nil {
		return
	}
	for {
		var n int
		var rerr error
		// Returning true: one non-blocking read, no waiting for readiness.
		if err := raw.Read(func(fd uintptr) bool { n, rerr = syscall.Read(int(fd), buf); return true }); err != nil {
			return
		}
		switch {
		case n > 0:
			o.dst.Write(buf[:n])
			continue
		case rerr == nil:
			return // EOF: every writer is gone
		case !errors.Is(rerr, syscall.EAGAIN):
			return
		}
		o.r.SetReadDeadline(time.Now().Add(idle))
		n, _ = o.r.Read(buf)
		if n == 0 {
			return // idle (a leftover child holds the pipe), EOF or an error
		}
		o.dst.Write(buf[:n])
	}
}
