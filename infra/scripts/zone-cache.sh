#!/usr/bin/env bash
# Starts / stops the L2 zone cache (module zone-cache, dev.faaster.zonecache.ZoneCacheApplication)
# as a process of its own, in the background, bound to 127.0.0.1.
#
#   zone-cache.sh start --classpath FILE [options]   start it (stopping a leftover of ours first),
#                                                    wait until /health is UP, print its URL
#   zone-cache.sh stop [options]                     stop the one recorded in the pid file
#   zone-cache.sh status [options]
#
# Options:
#   --classpath FILE   file holding the zone-cache module's runtime classpath (mvn
#                      dependency:build-classpath); zone-cache/target/classes is put in front
#                      unless --classes says otherwise
#   --classes DIR      the module's compiled classes (default zone-cache/target/classes)
#   --port N           HTTP port (default FAASTER_ZONE_CACHE_PORT or 8090)
#   --dir DIR          cache directory (default FAASTER_ZONE_CACHE_DIR or .data/l2)
#   --log FILE         log file (default .data/logs/zone-cache.log)
#   --pid-file FILE    (default DIR/zone-cache.pid)
#
# Everything else comes from the environment, as zone-cache/README.md lists: the node token
# (FAASTER_ZONE_CACHE_NODE_TOKEN, required), the origin (FAASTER_S3_*: FAASTER_S3_ENDPOINT
# required) and the registry database (FAASTER_DB_*). FAASTER_ZONE_CACHE_JAVA_OPTS adds JVM
# options. FAASTER_ZONE_CACHE_START_TIMEOUT bounds the wait for /health (seconds, default 60).
#
# The host is always 127.0.0.1 here: /health and /prometheus need no token, and nodes on other
# machines reach a zone cache through a deployment (docker-compose.yml), not through this script.
# The JVM gets -Dh2.bindAddress=127.0.0.1 so an H2 registry opened with AUTO_SERVER=TRUE (see
# ./faaster up) serves other processes on loopback only, whichever process opened it first.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
cp_file="" classes="$FAASTER_ROOT/zone-cache/target/classes"
port="${FAASTER_ZONE_CACHE_PORT:-8090}"
dir="${FAASTER_ZONE_CACHE_DIR:-$FAASTER_ROOT/.data/l2}"
logf="$FAASTER_ROOT/.data/logs/zone-cache.log" pidfile=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --classpath) cp_file="$2"; shift 2 ;;
    --classes) classes="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --log) logf="$2"; shift 2 ;;
    --pid-file) pidfile="$2"; shift 2 ;;
    *) die "zone-cache.sh: unknown option $1" ;;
  esac
done
pidfile="${pidfile:-$dir/zone-cache.pid}"
main=dev.faaster.zonecache.ZoneCacheApplication
url="http://127.0.0.1:$port"
timeout="${FAASTER_ZONE_CACHE_START_TIMEOUT:-60}"

healthy() {
  curl -fsS --max-time 2 "$url/health" 2>/dev/null | grep -q '"status" *: *"UP"'
}

case "$cmd" in
  start)
    [[ -n "$cp_file" && -s "$cp_file" ]] || die "zone-cache.sh: --classpath FILE is missing or empty"
    [[ -n "${FAASTER_ZONE_CACHE_NODE_TOKEN:-}" ]] || die "zone-cache.sh: FAASTER_ZONE_CACHE_NODE_TOKEN is not set"
    [[ -n "${FAASTER_S3_ENDPOINT:-}" ]] || die "zone-cache.sh: FAASTER_S3_ENDPOINT (the origin) is not set"
    mkdir -p "$dir" "$(dirname "$logf")" "$(dirname "$pidfile")"
    stop_pidfile "$pidfile" "leftover zone cache on :$port" "$main"
    if tcp_open 127.0.0.1 "$port"; then
      die "port 127.0.0.1:$port is taken by a process this script didn't start; stop it, or set FAASTER_ZONE_CACHE_PORT"
    fi
    java="java"
    [[ -n "${JAVA_HOME:-}" ]] && java="$JAVA_HOME/bin/java"
    java_opts=()
    # shellcheck disable=SC2206
    [[ -n "${FAASTER_ZONE_CACHE_JAVA_OPTS:-}" ]] && java_opts=(${FAASTER_ZONE_CACHE_JAVA_OPTS})
    # An asynchronous command of a non-interactive shell ignores SIGINT: a Ctrl-C in the terminal
    # reaches ./faaster, which stops this process with SIGTERM after the platform that reads from it.
    FAASTER_ZONE_CACHE_HOST=127.0.0.1 FAASTER_ZONE_CACHE_PORT="$port" FAASTER_ZONE_CACHE_DIR="$dir" \
      "$java" -Dh2.bindAddress=127.0.0.1 "${java_opts[@]}" -cp "$classes:$(cat "$cp_file")" "$main" \
      >>"$logf" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$pidfile"
    start=$SECONDS
    until healthy; do
      if ! pid_alive "$pid"; then
        tail -n 30 "$logf" >&2
        rm -f "$pidfile"
        die "the zone cache exited during startup (log: $logf)"
      fi
      if ((SECONDS - start > timeout)); then
        tail -n 30 "$logf" >&2
        stop_pid "$pid" "zone cache" 10
        rm -f "$pidfile"
        die "the zone cache's $url/health is not UP after ${timeout}s (log: $logf)"
      fi
      sleep 0.3
    done
    log "zone cache: $url (pid $pid, cache in $dir, log $logf)"
    echo "$url"
    ;;
  stop)
    stop_pidfile "$pidfile" "zone cache" "$main" 20
    ;;
  status)
    if pid="$(pidfile_pid "$pidfile" "$main")"; then
      echo "zone cache running (pid $pid) on $url"
    else
      echo "zone cache not running"
      exit 1
    fi
    ;;
  *)
    die "usage: zone-cache.sh start|stop|status [--classpath FILE] [--port N] [--dir DIR] [--log FILE] [--pid-file FILE]"
    ;;
esac
