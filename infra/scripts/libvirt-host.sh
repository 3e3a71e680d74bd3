#!/usr/bin/env bash
# libvirt-host.sh start|stop|status: runs libvirt's QEMU driver on this host without systemd
# (policy-rc.d forbids service starts here), the way DESIGN.md measured it working:
#   - the libvirt-qemu user and group exist (libvirtd's qemu driver refuses to load otherwise);
#   - /etc/libvirt/qemu.conf has user = "root", group = "root", security_driver = "none"
#     (edited in place, idempotently; a changed file restarts a running libvirtd);
#   - /etc/libvirt/libvirtd.conf has max_client_requests = 64, max_workers = 32 (the default 5
#     requests in flight per connection serialises concurrent clone starts over one connection);
#   - /var/log/libvirt exists; virtlogd and libvirtd run as daemons with pid files in /run;
#   - `virsh -c qemu:///system version` answers (bounded wait).
# Idempotent and fast when everything already runs. `stop` destroys the platform's transient
# domains (names starting with faaster-) first, so no QEMU process outlives the daemon that
# owns it, then stops libvirtd and virtlogd.
#
# When PID 1 is not systemd (a sandbox's process manager, a container entrypoint), libvirtd runs
# in the foreground under subreaper.py instead of `libvirtd -d`: QEMU processes are orphans that
# PID 1 must reap, and libvirt's destroy waits until they are reaped. Measured here: destroy took
# 1.3-2 s with a slow-reaping PID 1, ~0.3 s under the subreaper. FAASTER_LIBVIRT_SUBREAPER=on|off
# overrides the choice.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
URI="qemu:///system"
QEMU_CONF="${FAASTER_QEMU_CONF:-/etc/libvirt/qemu.conf}"
LIBVIRTD_CONF="${FAASTER_LIBVIRTD_CONF:-/etc/libvirt/libvirtd.conf}"
LOG_DIR=/var/log/libvirt
LIBVIRTD_PID=/run/libvirtd.pid
VIRTLOGD_PID=/run/virtlogd.pid
REAPER_PID=/run/faaster-libvirtd-subreaper.pid
DOMAIN_PREFIX="${FAASTER_DOMAIN_PREFIX:-faaster-}"
WAIT_SECONDS="${FAASTER_LIBVIRT_WAIT:-30}"

need_root() {
  [[ "$(id -u)" -eq 0 ]] || die "libvirt-host.sh $1 needs root (it edits $QEMU_CONF and starts system daemons)"
}

need_binaries() {
  local b
  for b in libvirtd virtlogd virsh qemu-system-x86_64; do
    command -v "$b" >/dev/null 2>&1 || die "$b not found; run infra/scripts/setup-host.sh first"
  done
}

# virsh_ok: true when the qemu driver answers (bounded: virsh itself may block on a dead socket).
virsh_ok() {
  timeout 5 virsh -q -c "$URI" version >/dev/null 2>&1
}

qemu_version() {
  qemu-system-x86_64 --version 2>/dev/null | head -n 1 | sed -E 's/^QEMU emulator version ([^ ]+).*/\1/'
}

ensure_user() {
  if ! getent group libvirt-qemu >/dev/null; then
    groupadd --system libvirt-qemu
    log "created group libvirt-qemu"
  fi
  if ! getent passwd libvirt-qemu >/dev/null; then
    useradd --system --gid libvirt-qemu --no-create-home --home-dir /var/lib/libvirt \
      --shell /usr/sbin/nologin libvirt-qemu
    log "created user libvirt-qemu"
  fi
}

# set_conf FILE KEY VALUE: makes `KEY = VALUE` the only uncommented assignment of KEY in FILE
# (other assignments are removed, the line goes at the end); prints "changed" when it edited FILE.
set_conf() {
  local file="$1" key="$2" value="$3" want current
  want="$key = $value"
  current="$(grep -E "^[[:space:]]*${key}[[:space:]]*=" "$file" || true)"
  [[ "$current" == "$want" ]] && return 0
  sed -i -E "/^[[:space:]]*${key}[[:space:]]*=/d" "$file"
  printf '%s\n' "$want" >>"$file"
  echo changed
}

ensure_conf() {
  local changed=""
  [[ -f "$QEMU_CONF" ]] || die "$QEMU_CONF missing; is libvirt-daemon-driver-qemu installed?"
  [[ -f "$LIBVIRTD_CONF" ]] || die "$LIBVIRTD_CONF missing; is libvirt-daemon-system installed?"
  changed+="$(set_conf "$QEMU_CONF" user '"root"')"
  changed+="$(set_conf "$QEMU_CONF" group '"root"')"
  changed+="$(set_conf "$QEMU_CONF" security_driver '"none"')"
  [[ -n "$changed" ]] && log "qemu.conf: set user/group root, security_driver none ($QEMU_CONF)"
  # The node agent sends every monitor command over one connection from many threads; libvirtd's
  # default of 5 requests in flight per client serialises concurrent restores.
  local lchanged=""
  lchanged+="$(set_conf "$LIBVIRTD_CONF" max_client_requests 64)"
  lchanged+="$(set_conf "$LIBVIRTD_CONF" max_workers 32)"
  [[ -n "$lchanged" ]] && log "libvirtd.conf: set max_client_requests 64, max_workers 32 ($LIBVIRTD_CONF)"
  [[ -n "$changed$lchanged" ]]
}

start_virtlogd() {
  local pid
  if pid="$(pidfile_pid "$VIRTLOGD_PID" virtlogd)"; then
    return 0
  fi
  LIBVIRT_LOG_OUTPUTS="3:file:$LOG_DIR/virtlogd.log" virtlogd -d -p "$VIRTLOGD_PID"
  for ((i = 0; i < 50; i++)); do
    pid="$(pidfile_pid "$VIRTLOGD_PID" virtlogd)" && break
    sleep 0.1
  done
  [[ -n "${pid:-}" ]] || die "virtlogd did not start (log: $LOG_DIR/virtlogd.log)"
  log "started virtlogd (pid $pid)"
}

use_subreaper() {
  case "${FAASTER_LIBVIRT_SUBREAPER:-auto}" in
    on) return 0 ;;
    off) return 1 ;;
  esac
  [[ "$(cat /proc/1/comm 2>/dev/null)" != systemd ]] && command -v python3 >/dev/null 2>&1
}

start_libvirtd() {
  local pid i how
  if use_subreaper; then
    # Foreground libvirtd (it still writes its pid file) as the subreaper's child, detached from
    # this shell's session so it outlives the caller.
    (cd / && LIBVIRT_LOG_OUTPUTS="3:file:$LOG_DIR/libvirtd.log" exec setsid python3 \
      "$HERE/subreaper.py" libvirtd -p "$LIBVIRTD_PID" \
      </dev/null >>"$LOG_DIR/libvirtd.stdout" 2>&1) &
    echo $! >"$REAPER_PID"
    how="under subreaper.py (pid $!; PID 1 is $(cat /proc/1/comm 2>/dev/null || echo '?'))"
  else
    LIBVIRT_LOG_OUTPUTS="3:file:$LOG_DIR/libvirtd.log" libvirtd -d -p "$LIBVIRTD_PID"
    how="as a daemon"
  fi
  for ((i = 0; i < WAIT_SECONDS * 5; i++)); do
    if virsh_ok; then
      pid="$(pidfile_pid "$LIBVIRTD_PID" libvirtd || echo '?')"
      log "started libvirtd (pid $pid) $how; $URI answers after $((i * 200)) ms"
      return 0
    fi
    if ((i > 10)) && ! pidfile_pid "$LIBVIRTD_PID" libvirtd >/dev/null; then
      tail -n 20 "$LOG_DIR/libvirtd.log" >&2 2>/dev/null || true
      tail -n 5 "$LOG_DIR/libvirtd.stdout" >&2 2>/dev/null || true
      die "libvirtd exited before answering (log: $LOG_DIR/libvirtd.log)"
    fi
    sleep 0.2
  done
  tail -n 20 "$LOG_DIR/libvirtd.log" >&2 2>/dev/null || true
  die "$URI did not answer within ${WAIT_SECONDS}s (log: $LOG_DIR/libvirtd.log)"
}

stop_libvirtd() {
  local pid i
  if pid="$(pidfile_pid "$LIBVIRTD_PID" libvirtd)"; then
    stop_pid "$pid" libvirtd 20
  fi
  rm -f "$LIBVIRTD_PID"
  # The subreaper exits by itself once libvirtd and any orphans below it are gone.
  if pid="$(pidfile_pid "$REAPER_PID" subreaper.py)"; then
    for ((i = 0; i < 50; i++)); do pid_alive "$pid" || break; sleep 0.1; done
    pid_alive "$pid" && warn "subreaper (pid $pid) still runs: QEMU processes of other domains are left under it"
  fi
  rm -f "$REAPER_PID"
}

cmd_start() {
  need_root start
  need_binaries
  local conf_changed=false
  ensure_user
  ensure_conf && conf_changed=true
  if [[ ! -d "$LOG_DIR" ]]; then
    mkdir -p "$LOG_DIR"
    log "created $LOG_DIR"
  fi
  start_virtlogd
  if virsh_ok; then
    if $conf_changed; then
      log "libvirt configuration changed while libvirtd ran: restarting it"
      stop_libvirtd
      start_libvirtd
    else
      log "libvirtd already running (pid $(pidfile_pid "$LIBVIRTD_PID" libvirtd || echo 'unknown'))"
    fi
  else
    # A libvirtd that runs but doesn't answer is stuck: replace it.
    stop_libvirtd
    start_libvirtd
  fi
  log "libvirt $(virsh -c "$URI" version 2>/dev/null | sed -nE 's/^Running hypervisor: QEMU (.*)$/\1/p' | head -n1 \
    | sed 's/^/hypervisor QEMU /')${URI:+ at $URI}; qemu-system-x86_64 $(qemu_version)"
}

cmd_stop() {
  need_root stop
  local names name n=0
  if virsh_ok; then
    names="$(timeout 10 virsh -q -c "$URI" list --name 2>/dev/null | grep "^${DOMAIN_PREFIX}" || true)"
    for name in $names; do
      timeout 10 virsh -q -c "$URI" destroy "$name" >/dev/null 2>&1 || warn "could not destroy $name"
      n=$((n + 1))
    done
    ((n == 0)) || log "destroyed $n ${DOMAIN_PREFIX}* domain(s)"
  fi
  stop_libvirtd
  local pid
  if pid="$(pidfile_pid "$VIRTLOGD_PID" virtlogd)"; then
    stop_pid "$pid" virtlogd 10
  fi
  rm -f "$VIRTLOGD_PID"
  log "libvirt stopped"
}

cmd_status() {
  local rc=0 pid
  if pid="$(pidfile_pid "$VIRTLOGD_PID" virtlogd)"; then
    echo "virtlogd: running (pid $pid)"
  else
    echo "virtlogd: not running"; rc=1
  fi
  if pid="$(pidfile_pid "$LIBVIRTD_PID" libvirtd)"; then
    echo "libvirtd: running (pid $pid)$(rp="$(pidfile_pid "$REAPER_PID" subreaper.py)" && echo " under subreaper pid $rp")"
  else
    echo "libvirtd: not running (no live pid in $LIBVIRTD_PID)"
  fi
  if virsh_ok; then
    echo "$URI: answers"
    virsh -c "$URI" version 2>/dev/null | sed 's/^/  /'
    echo "  domains (${DOMAIN_PREFIX}*): $(timeout 5 virsh -q -c "$URI" list --name 2>/dev/null | grep -c "^${DOMAIN_PREFIX}" || true)"
  else
    echo "$URI: does not answer"; rc=1
  fi
  echo "qemu-system-x86_64: $(qemu_version)"
  return $rc
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
