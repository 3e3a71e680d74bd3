"""faaster python3 runtime helper.

Started once by the guest agent (before the template snapshot, so restored instances find
the interpreter already running). Imports `module` from the code directory on "load" and
calls `function(event, context)` on "invoke".

Pipe protocol with the agent: requests arrive on fd 3, replies leave on fd 4. Every message
is: u32 big-endian header length, header (UTF-8 JSON object), u32 big-endian body length,
body. The first message is {"op": "ready"} from the helper; afterwards exactly one reply per
request, in order. Ops: load, invoke, reseed (see guest/PROTOCOL.md, "python3 runtime").
"""

import importlib
import io
import json
import os
import random
import struct
import sys
import time
import traceback

REQ_FD = 3
REP_FD = 4
MAX_BODY = 6 << 20       # the platform's payload limit
LOG_TAIL = 4096          # characters of captured print()/stderr output sent back


def _read_exact(n):
    chunks = []
    while n > 0:
        b = os.read(REQ_FD, min(n, 1 << 20))
        if not b:
            sys.exit(0)  # the agent closed the pipe
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def read_msg():
    (hlen,) = struct.unpack(">I", _read_exact(4))
    header = json.loads(_read_exact(hlen)) if hlen else {}
    (blen,) = struct.unpack(">I", _read_exact(4))
    body = _read_exact(blen) if blen else b""
    return header, body


def write_msg(header, body=b""):
    h = json.dumps(header, separators=(",", ":")).encode()
    data = memoryview(struct.pack(">I", len(h)) + h + struct.pack(">I", len(body)) + body)
    while data:
        n = os.write(REP_FD, data)
        data = data[n:]


class Tail(io.TextIOBase):
    """A text stream that keeps only the last `limit` characters written to it."""

    def __init__(self, limit=LOG_TAIL):
        self._limit = limit
        self._parts = []
        self._size = 0

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not " + type(s).__name__)
        self._parts.append(s)
        self._size += len(s)
        if self._size > 4 * self._limit:
            self._compact()
        return len(s)

    def _compact(self):
        text = "".join(self._parts)[-self._limit:]
        self._parts, self._size = [text], len(text)

    def value(self):
        self._compact()
        return self._parts[0] if self._parts else ""


class Context:
    """What the handler gets as its second argument (Lambda-style names)."""

    def __init__(self, header):
        self.aws_request_id = self.invocation_id = header.get("invocationId", "")
        self.function_name = header.get("functionName", "")
        self.function_version = header.get("functionVersion", "")
        self.memory_limit_in_mb = header.get("memoryMiB", 0)
        self.instance_id = header.get("instanceId", "")
        self._deadline = time.monotonic() + header.get("timeoutMs", 0) / 1000.0

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class State:
    handler = None
    code_dir = None
    env_keys = ()


def _error(kind, exc, tail=None):
    reply = {
        "status": "function_error" if kind == "invoke" else "error",
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "trace": traceback.format_exc(),
    }
    if tail is not None:
        reply["logTail"] = tail.value()
    return reply


def _forget_code():
    """Drops the previous function: its modules, its sys.path entry, its environment."""
    old = State.code_dir
    if old:
        prefix = os.path.join(old, "")
        for name, mod in list(sys.modules.items()):
            f = getattr(mod, "__file__", None) or ""
            if f.startswith(prefix):
                del sys.modules[name]
        while old in sys.path:
            sys.path.remove(old)
    for k in State.env_keys:
        os.environ.pop(k, None)
    State.handler, State.code_dir, State.env_keys = None, None, ()


class _Captured:
    """Routes print() and sys.stderr writes of user code into one Tail."""

    def __init__(self):
        self.tail = Tail()

    def __enter__(self):
        self._saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = self.tail
        return self.tail

    def __exit__(self, *exc):
        sys.stdout, sys.stderr = self._saved
        return False


def op_load(header):
    _forget_code()
    code_dir = header["codeDir"]
    module_name, _, func_name = header.get("handler", "").rpartition(".")
    if not module_name or not func_name:
        return {"status": "error", "errorType": "Runtime.MalformedHandlerName",
                "errorMessage": "handler %r is not module.function" % header.get("handler")}
    env = header.get("env") or {}
    os.environ.update(env)
    State.env_keys = tuple(env)
    State.code_dir = code_dir
    sys.path.insert(0, code_dir)
    importlib.invalidate_caches()
    with _Captured() as tail:
        try:
            module = importlib.import_module(module_name)
            fn = getattr(module, func_name)
            if not callable(fn):
                raise TypeError("%s is not callable" % header["handler"])
        except BaseException as exc:  # noqa: B902 - report everything, keep serving
            reply = _error("load", exc, tail)
            reply["errorType"] = "Runtime.ImportModuleError: " + reply["errorType"]
            _forget_code()
            return reply
    State.handler = fn
    return {"status": "ok", "logTail": tail.value()}


def op_invoke(header, body):
    if State.handler is None:
        return {"status": "function_error", "errorType": "Runtime.NoCode",
                "errorMessage": "no handler loaded"}, b""
    try:
        event = json.loads(body) if body else None
    except ValueError as exc:
        return {"status": "function_error", "errorType": "Runtime.InvalidEvent",
                "errorMessage": "event is not JSON: %s" % exc}, b""
    context = Context(header)
    with _Captured() as tail:
        try:
            result = State.handler(event, context)
        except BaseException as exc:  # noqa: B902 - SystemExit from user code is an error too
            return _error("invoke", exc, tail), b""
    try:
        payload = json.dumps(result, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        return {"status": "function_error", "errorType": "Runtime.MarshalError",
                "errorMessage": "result is not JSON serialisable: %s" % exc,
                "logTail": tail.value()}, b""
    if len(payload) > MAX_BODY:
        return {"status": "function_error", "errorType": "Runtime.ResponseTooLarge",
                "errorMessage": "response of %d bytes exceeds %d" % (len(payload), MAX_BODY),
                "logTail": tail.value()}, b""
    return {"status": "ok", "logTail": tail.value()}, payload


def op_reseed(header):
    # The kernel RNG was just reseeded for this clone; the module-level Random still holds
    # the template's state. os.urandom/secrets/uuid4 read the kernel each time: fine.
    random.seed()
    return {"status": "ok"}


def main():
    write_msg({"op": "ready", "python": sys.version.split()[0], "pid": os.getpid()})
    while True:
        header, body = read_msg()
        op = header.get("op")
        out = b""
        try:
            if op == "load":
                reply = op_load(header)
            elif op == "invoke":
                reply, out = op_invoke(header, body)
            elif op == "reseed":
                reply = op_reseed(header)
            else:
                reply = {"status": "error", "errorType": "Runtime.UnknownOp", "errorMessage": repr(op)}
        except Exception as exc:  # a bug in this helper: report it, keep serving
            reply = _error(op or "unknown", exc)
            reply["status"] = "function_error" if op == "invoke" else "error"
            reply["errorType"] = "Runtime.HelperError: " + reply["errorType"]
        write_msg(reply, out)


if __name__ == "__main__":
    main()
