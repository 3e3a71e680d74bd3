#!/usr/bin/env bash
# Boots a guest image under QEMU (TCG), waits for the agent's READY on the virtio-serial
# socket, gives the guest an identity, loads a tiny function of the runtime and invokes it
# (ok, function error, timeout), checks that malformed frames are rejected without harm,
# then shuts the guest down. Prints boot-to-READY time and the results.
#
#   infra/guest/boot-test.sh provided|python3
#
# Environment: BOOT_TEST_TIMEOUT (s, whole QEMU lifetime, default 180), QEMU_ACCEL
# (default tcg), KEEP=1 keeps the work directory (console log, socket).
set -euo pipefail
# shellcheck source=../scripts/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../scripts/common.sh"

RUNTIME="${1:-}"
case "$RUNTIME" in
  provided | python3) ;;
  *) die "usage: $0 provided|python3" ;;
esac
LIMIT="${BOOT_TEST_TIMEOUT:-180}"
ACCEL="${QEMU_ACCEL:-tcg}"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (infra/scripts/setup-host.sh installs it)"
GO="$(go_bin)" || die "Go is needed to build agentctl"

IMG="$("$FAASTER_ROOT/infra/guest/build-image.sh" "$RUNTIME")"
manifest() { sed -n "s/^  \"$1\": \"\{0,1\}\([^\"]*\)\"\{0,1\},\$/\1/p" "$IMG/manifest.json"; }
CMDLINE="$(manifest cmdline)"
KERNEL="$IMG/$(manifest bootKernel)"
INITRD="$IMG/$(manifest bootInitrd)"
MEM="$(manifest memoryMiB)"

BIN="$FAASTER_ROOT/.data/guest/bin"
mkdir -p "$BIN"
(cd "$FAASTER_ROOT/guest" && CGO_ENABLED=0 "$GO" build -o "$BIN/agentctl" ./cmd/agentctl)

WORK="$(mktemp -d /tmp/faaster-boot-test.XXXXXX)"
SOCK="$WORK/agent.sock"
CONSOLE="$WORK/console.log"
QPID=""
cleanup() {
  local qemu_pid
  # QPID is `timeout`, which passes TERM on to QEMU; QEMU's own pid (from -pidfile) gets a
  # KILL if it is still there, so no QEMU outlives this script.
  if [[ -n "$QPID" ]] && pid_alive "$QPID"; then
    kill -TERM "$QPID" 2>/dev/null || true
    sleep 0.5
  fi
  if qemu_pid="$(pidfile_pid "$WORK/qemu.pid" qemu-system)"; then
    kill -KILL "$qemu_pid" 2>/dev/null || true
  fi
  [[ -n "$QPID" ]] && wait "$QPID" 2>/dev/null || true
  if [[ "${KEEP:-0}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# A tiny function per runtime: echo the event; {"fail":1} fails, {"sleep":1} runs too long.
FN="$WORK/fn"
mkdir -p "$FN"
if [[ "$RUNTIME" == provided ]]; then
  cat >"$FN/bootstrap" <<'EOF'
#!/bin/sh
ev="$(cat)"
case "$ev" in
  *fail*) echo "failing on purpose" >&2; exit 3 ;;
  *sleep*) sleep 30 ;;
esac
printf '{"hello":%s,"host":"%s","kernel":"%s","invocation":"%s"}' "$ev" "$(hostname)" "$(uname -r)" "$FAASTER_INVOCATION_ID"
EOF
  chmod 0755 "$FN/bootstrap"
  LOAD_ARGS=(-runtime provided)
else
  cat >"$FN/app.py" <<'EOF'
import socket, sys, time

def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("failing on purpose")
    if event.get("sleep"):
        time.sleep(30)
    print("handled", context.aws_request_id)
    return {"hello": event, "host": socket.gethostname(), "python": sys.version.split()[0],
            "remainingMs": context.get_remaining_time_in_millis()}
EOF
  LOAD_ARGS=(-runtime python3 -handler app.handler)
fi

QEMU=(qemu-system-x86_64 -machine pc -accel "$ACCEL" -m "$MEM" -smp 1 -nographic -nodefaults -no-user-config
  -no-reboot -serial "file:$CONSOLE" -pidfile "$WORK/qemu.pid"
  -kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE"
  -device virtio-serial-pci,id=vser0
  -chardev "socket,id=agent,path=$SOCK,server=on,wait=off"
  -device virtserialport,bus=vser0.0,chardev=agent,name=dev.faaster.agent
  -device virtio-rng-pci
  -netdev user,id=net0,restrict=on -device virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01,romfile=)

log "[$RUNTIME] booting $(basename "$IMG") ($(basename "$KERNEL"), $(basename "$INITRD"), $ACCEL, ${MEM} MiB)"
t0="$(date +%s%N)"
timeout --kill-after=5 "$LIMIT" "${QEMU[@]}" &
QPID=$!

ctl() { "$BIN/agentctl" -sock "$SOCK" -timeout "${CTL_TIMEOUT:-30s}" "$@"; }
show_console() { warn "console log (last 40 lines):"; tail -n 40 "$CONSOLE" >&2 || true; }

if ! READY="$(CTL_TIMEOUT=$((LIMIT - 5))s ctl wait-ready)"; then
  show_console
  die "[$RUNTIME] no READY from the agent"
fi
t1="$(date +%s%N)"
BOOT_MS=$(((t1 - t0) / 1000000))
log "[$RUNTIME] READY after ${BOOT_MS} ms (QEMU start to READY on the host): $READY"

fails=0
check() { # check NAME -- agentctl args...: logs the reply, keeps it in $WORK/NAME.json
  local name="$1" out rc=0
  shift 2
  out="$(ctl "$@")" || rc=$?
  if [[ $rc -ne 0 ]]; then
    warn "[$RUNTIME] $name: FAILED (exit $rc): $out"
    fails=$((fails + 1))
  else
    log "[$RUNTIME] $name: $out"
  fi
  printf '%s\n' "$out" >"$WORK/$name.json"
}

check ping -- ping
check identity -- identity -instance-id "boot-test-$RUNTIME" -hostname "fn-$RUNTIME-1" \
  -ip 10.0.2.15 -prefix 24 -gateway 10.0.2.2 -mac 52:54:00:00:00:02
check load -- load "${LOAD_ARGS[@]}" -dir "$FN" -function-name "boot-test" -env GREETING=hi
check invoke-cold -- invoke -timeout-ms 10000 -event '{"name":"faaster"}' -expect ok
check invoke-warm -- invoke -timeout-ms 10000 -event '{"name":"again"}' -expect ok
check invoke-error -- invoke -timeout-ms 10000 -event '{"fail":1}' -expect function_error
check invoke-timeout -- invoke -timeout-ms 1500 -event '{"sleep":1}' -expect timeout
check invoke-after-timeout -- invoke -timeout-ms 20000 -event '{"name":"recovered"}' -expect ok
if ! grep -q "fn-$RUNTIME-1" "$WORK/invoke-cold.json"; then
  warn "[$RUNTIME] the function did not see the host name set by SET_IDENTITY"
  fails=$((fails + 1))
fi
check malformed -- malformed
check ping-after -- ping

# Shutdown: the agent powers the VM off and QEMU exits by itself.
ctl shutdown >/dev/null || { warn "[$RUNTIME] shutdown request failed"; fails=$((fails + 1)); }
for _ in $(seq 1 100); do pid_alive "$QPID" || break; sleep 0.1; done
if pid_alive "$QPID"; then
  warn "[$RUNTIME] QEMU still running 10 s after SHUTDOWN; killing it"
  fails=$((fails + 1))
else
  log "[$RUNTIME] guest powered off after SHUTDOWN"
fi

rtt() { sed -n 's/.*"rttMs":\([0-9.]*\).*/\1/p' "$WORK/$1.json"; }
dur() { sed -n 's/.*"durationMs":\([0-9.]*\).*/\1/p' "$WORK/$1.json"; }
agent_up="$(grep -o -m1 'kernel uptime [0-9.]*s' "$CONSOLE" || true)"
printf '\n== boot test %s (%s) ==\n' "$RUNTIME" "$(basename "$IMG")"
printf 'image:              vmlinuz %s KiB, initramfs.cpio.gz %s KiB; booted %s + %s (%s KiB)\n' \
  "$(($(stat -c %s "$IMG/vmlinuz") / 1024))" "$(($(stat -c %s "$IMG/initramfs.cpio.gz") / 1024))" \
  "$(basename "$KERNEL")" "$(basename "$INITRD")" "$(($(stat -c %s "$INITRD") / 1024))"
printf 'boot to READY:      %s ms (QEMU process start to READY received; agent started at %s)\n' "$BOOT_MS" "${agent_up:-?}"
printf 'load code:          %s ms round trip\n' "$(rtt load)"
printf 'invoke 1st / 2nd:   %s / %s ms round trip (function %s / %s ms)\n' \
  "$(rtt invoke-cold)" "$(rtt invoke-warm)" "$(dur invoke-cold)" "$(dur invoke-warm)"
printf 'result:             %s\n' "$(sed -n 's/.*"body":"\(.*\)","elapsedMs".*/\1/p' "$WORK/invoke-cold.json")"
printf 'function error:     %s\n' "$(grep -o '"errorType":"[^"]*"' "$WORK/invoke-error.json" || echo '?')"
printf 'timeout:            %s after %s ms\n' "$(grep -o '"status":"[^"]*"' "$WORK/invoke-timeout.json" || echo '?')" "$(dur invoke-timeout)"
printf 'malformed frames:   %s\n' "$(cat "$WORK/malformed.json")"
if ((fails > 0)); then
  show_console
  die "[$RUNTIME] $fails check(s) failed"
fi
printf 'all checks passed\n'
