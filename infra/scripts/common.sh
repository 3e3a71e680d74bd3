# shellcheck shell=bash
# Helpers shared by ./faaster and infra/scripts/*.sh. Source it; it sets nothing but
# FAASTER_ROOT and functions.

FAASTER_ROOT="${FAASTER_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

log()  { printf '[faaster] %s\n' "$*" >&2; }
warn() { printf '[faaster] WARNING: %s\n' "$*" >&2; }
die()  { printf '[faaster] ERROR: %s\n' "$*" >&2; exit 1; }

# tcp_open HOST PORT: true when something accepts a TCP connection there.
tcp_open() {
  (exec 3<>"/dev/tcp/$1/$2") >/dev/null 2>&1
}

# pid_alive PID: true while PID runs (a zombie left for its parent to reap counts as gone).
pid_alive() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$1/status" ]] || return 1
  ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# pidfile_pid FILE [MATCH]: prints the pid recorded in FILE if that process still runs (and,
# with MATCH, its command line contains MATCH, so a recycled pid is never taken for ours).
pidfile_pid() {
  local pid
  [[ -f "$1" ]] || return 1
  pid="$(tr -dc '0-9' <"$1")"
  pid_alive "$pid" || return 1
  if [[ -n "${2:-}" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
  fi
  printf '%s\n' "$pid"
}

# stop_pid PID NAME [TIMEOUT_SECONDS]: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local pid="$1" name="$2" timeout="${3:-20}" i
  if pid_alive "$pid"; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
      pid_alive "$pid" || break
      sleep 0.1
    done
    if pid_alive "$pid"; then
      warn "$name (pid $pid) did not stop in ${timeout}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      # SIGKILL is asynchronous: wait until the process is gone (and its sockets closed) so a
      # caller that starts something on the same port right after us doesn't find it taken.
      for ((i = 0; i < 50; i++)); do
        pid_alive "$pid" || break
        sleep 0.1
      done
    fi
  fi
  # Reap it when it is a child of this shell (no-op otherwise).
  wait "$pid" 2>/dev/null || true
}

# stop_pidfile FILE NAME MATCH [TIMEOUT]: stops the process recorded in FILE (if it runs and its
# command line contains MATCH), removes FILE.
stop_pidfile() {
  local pid
  if pid="$(pidfile_pid "$1" "$3")"; then
    stop_pid "$pid" "$2" "${4:-20}"
  fi
  rm -f "$1"
}

# wait_tcp HOST PORT TIMEOUT NAME [PID] [LOG]: waits until HOST:PORT accepts connections.
# Fails with a clear message on timeout or when PID dies first (showing LOG's tail).
wait_tcp() {
  local host="$1" port="$2" timeout="$3" name="$4" pid="${5:-}" logf="${6:-}" i
  for ((i = 0; i < timeout * 5; i++)); do
    tcp_open "$host" "$port" && return 0
    if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
      [[ -n "$logf" && -f "$logf" ]] && tail -n 30 "$logf" >&2
      printf '[faaster] ERROR: %s exited before listening on %s:%s%s\n' "$name" "$host" "$port" \
        "${logf:+ (log: $logf)}" >&2
      return 1
    fi
    sleep 0.2
  done
  [[ -n "$logf" && -f "$logf" ]] && tail -n 30 "$logf" >&2
  printf '[faaster] ERROR: %s did not listen on %s:%s within %ss%s\n' "$name" "$host" "$port" \
    "$timeout" "${logf:+ (log: $logf)}" >&2
  return 1
}

# go_bin: the Go toolchain, on PATH or where the Go tarball installs it.
go_bin() {
  if command -v go >/dev/null 2>&1; then command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then printf '%s\n' /usr/local/go/bin/go
  else return 1
  fi
}
