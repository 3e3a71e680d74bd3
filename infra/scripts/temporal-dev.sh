#!/usr/bin/env bash
# Starts / stops a local Temporal server for development and tests, in the background.
#
#   temporal-dev.sh start [options]   start it (stopping a leftover of ours first), wait until it serves
#   temporal-dev.sh stop  [options]   stop the one recorded in the pid file (same options)
#   temporal-dev.sh status [options]
#   temporal-dev.sh probe  [options]  exit 0 when a Temporal front end already serves on the port
#
# Options:
#   --port N            front-end gRPC port (default 7233); Web UI on --ui-port (default N+1000)
#   --ui-port N
#   --data-dir DIR      where the SQLite store, pid file and log go (default .data/temporal)
#   --log FILE          log file (default DIR/temporal.log)
#   --fresh             delete the store first (tests: every run starts from nothing)
#   --test-server CP    run the Java SDK's test server (LoopbackTestServer.java) with the classpath
#                       in file CP instead of the CLI's
#                       dev server (fallback when the CLI can't be built: nothing is kept across
#                       restarts, no Web UI, reduced visibility/search attribute support)
# Environment: FAASTER_TEMPORAL_START_TIMEOUT (seconds, default 120).
#
# Binds 127.0.0.1 only. The dev server registers the `default` namespace and the search
# attributes the platform's workflows use (FaasterTenant, FaasterFunction, FaasterVersion).
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
port=7233 ui_port="" data_dir="$FAASTER_ROOT/.data/temporal" logf="" fresh=false test_server_cp=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --ui-port) ui_port="$2"; shift 2 ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    --log) logf="$2"; shift 2 ;;
    --fresh) fresh=true; shift ;;
    --test-server) test_server_cp="$2"; shift 2 ;;
    *) die "temporal-dev.sh: unknown option $1" ;;
  esac
done
ui_port="${ui_port:-$((port + 1000))}"
logf="${logf:-$data_dir/temporal.log}"
pidfile="$data_dir/temporal.pid"
TEMPORAL_BIN="$FAASTER_ROOT/.tools/bin/temporal"
timeout="${FAASTER_TEMPORAL_START_TIMEOUT:-120}"
# Both kinds of server have this in their command line; a recycled pid won't.
match="$port"

serving() {
  if [[ -z "$test_server_cp" && -x "$TEMPORAL_BIN" ]]; then
    "$TEMPORAL_BIN" operator cluster health --address "127.0.0.1:$port" --command-timeout 3s \
      --disable-config-file --disable-config-env 2>/dev/null | grep -q SERVING
  else
    tcp_open 127.0.0.1 "$port"
  fi
}

case "$cmd" in
  start)
    mkdir -p "$data_dir" "$(dirname "$logf")"
    # A server a killed run left behind: stop it (its data stays in the store).
    stop_pidfile "$pidfile" "leftover Temporal server on :$port" "$match"
    if tcp_open 127.0.0.1 "$port"; then
      die "port 127.0.0.1:$port is taken by a process this script didn't start; stop it, or point the platform at it (TEMPORAL_ADDRESS / FAASTER_TEST_TEMPORAL_ADDRESS)"
    fi
    if [[ -z "$test_server_cp" ]] && tcp_open 127.0.0.1 "$ui_port"; then
      die "port 127.0.0.1:$ui_port (Temporal Web UI) is taken by another process"
    fi
    if [[ -n "$test_server_cp" ]]; then
      [[ -s "$test_server_cp" ]] || die "test server classpath file $test_server_cp is missing or empty"
      warn "running the Temporal SDK's test server on 127.0.0.1:$port instead of the dev server:"
      warn "  it keeps nothing across restarts, has no Web UI and only basic search attribute support"
      # The SDK's TestServer main binds every interface: LoopbackTestServer.java binds 127.0.0.1.
      cat >"$data_dir/testserver-logback.xml" <<'XML'
<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="OUT"/></root>
</configuration>
XML
      : >"$logf"
      nohup java -Dlogback.configurationFile="$data_dir/testserver-logback.xml" \
        -cp "$(cat "$test_server_cp")" "$(dirname "${BASH_SOURCE[0]}")/LoopbackTestServer.java" "$port" 127.0.0.1 \
        </dev/null >>"$logf" 2>&1 &
    else
      [[ -x "$TEMPORAL_BIN" ]] || die "no Temporal CLI at $TEMPORAL_BIN (run infra/scripts/install-temporal.sh)"
      db="$data_dir/temporal.db"
      if $fresh; then rm -f "$db" "$db-wal" "$db-shm" "$db-journal"; fi
      log "starting Temporal dev server: gRPC 127.0.0.1:$port, Web UI http://127.0.0.1:$ui_port, store $db, log $logf"
      : >"$logf"
      # history.transferProcessorMaxPollRPS (default 20 per shard, and the dev server has one shard)
      # spaces the history service's reads of new workflow and activity tasks 50 ms apart: every
      # step of a workflow waited up to 50 ms for it (an empty workflow took 50 ms, one activity
      # 150 ms). 1000 leaves the reader notified at once; infra/compose/temporal-dynamicconfig.yaml
      # sets the same for docker-compose. SQLite in WAL mode with synchronous=normal: a commit is
      # written to the log without an fsync (it survives the server process dying, not the machine
      # losing power); the default journal added ~15 ms per workflow step here.
      nohup "$TEMPORAL_BIN" server start-dev \
        --dynamic-config-value history.transferProcessorMaxPollRPS=1000 \
        --ip 127.0.0.1 --port "$port" --ui-port "$ui_port" \
        --db-filename "$db" \
        --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
        --namespace default \
        --search-attribute FaasterTenant=Keyword \
        --search-attribute FaasterFunction=Keyword \
        --search-attribute FaasterVersion=Int \
        --log-format json --log-level warn \
        </dev/null >>"$logf" 2>&1 &
    fi
    pid=$!
    echo "$pid" >"$pidfile"
    start=$SECONDS
    until serving; do
      if ! pid_alive "$pid"; then
        tail -n 30 "$logf" >&2 || true
        rm -f "$pidfile"
        die "Temporal server exited during startup (log: $logf)"
      fi
      if ((SECONDS - start >= timeout)); then
        tail -n 30 "$logf" >&2 || true
        stop_pid "$pid" "Temporal server" 10
        rm -f "$pidfile"
        die "Temporal server did not serve on 127.0.0.1:$port within ${timeout}s (log: $logf; raise FAASTER_TEMPORAL_START_TIMEOUT)"
      fi
      sleep 0.5
    done
    if [[ -z "$test_server_cp" ]]; then
      wait_tcp 127.0.0.1 "$ui_port" 30 "Temporal Web UI" "$pid" "$logf" || exit 1
    fi
    log "Temporal server ready on 127.0.0.1:$port (pid $pid, $((SECONDS - start))s)"
    ;;
  stop)
    stop_pidfile "$pidfile" "Temporal server on :$port" "$match" 20
    ;;
  probe)
    serving
    ;;
  status)
    if pid="$(pidfile_pid "$pidfile" "$match")"; then
      echo "running (pid $pid) on 127.0.0.1:$port"
    else
      echo "not running"
      exit 3
    fi
    ;;
  *)
    echo "usage: $0 start|stop|status|probe [--port N] [--ui-port N] [--data-dir DIR] [--log FILE] [--fresh] [--test-server CLASSPATH_FILE]" >&2
    exit 2
    ;;
esac
