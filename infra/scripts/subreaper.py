#!/usr/bin/env python3
"""subreaper.py COMMAND [ARGS...]: runs COMMAND as a child subreaper's child and reaps every
orphan below it at once.

libvirtd double-forks QEMU, so QEMU's parent becomes the nearest subreaper, normally PID 1. When
PID 1 is not a real init (a sandbox's process manager, some container entrypoints) it may reap
late: here an exited QEMU stayed a zombie for ~1.5 s, and libvirt's destroy waits until the pid
is gone, so every destroy took 1.3-2 s instead of ~0.3 s. Run under this, QEMU processes are
reaped as soon as they exit. Forwards TERM/INT/HUP to COMMAND, exits with its status once
COMMAND and all orphans are gone.
"""
import ctypes
import os
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("subreaper: prctl(PR_SET_CHILD_SUBREAPER) failed", file=sys.stderr)
        return 1
    child = os.fork()
    if child == 0:
        os.execvp(sys.argv[1], sys.argv[1:])

    def forward(sig, _frame):
        try:
            os.kill(child, sig)
        except ProcessLookupError:
            pass

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, forward)
    code = 0
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return code
        except InterruptedError:
            continue
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            code = code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
