#!/usr/bin/env bash
# The README's path, as a new user takes it: `./faaster up` with its own runtime classpath (not
# Maven's test classpath), then the tour: a tenant and its token, a python3 and a provided
# function, each published and invoked twice (the first answer cold, with its stages; the second
# warm, on the same instance); then SIGTERM, after which no VM of the run may be left.
#
# Runs beside whatever else this host runs: its own ports (API 18080, zone cache 18090, embedded
# S3 19000), its own state (FAASTER_UP_DATA in a temporary directory), its own node id (so its
# domains are faaster-upsmoke-*), run and /dev/shm directories, and the Temporal server named by
# TEMPORAL_ADDRESS (./faaster test passes its own). Exit code 0 when every step held.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=infra/scripts/common.sh
source "$ROOT/infra/scripts/common.sh"

[[ -n "${TEMPORAL_ADDRESS:-}" ]] || die "up-smoke: set TEMPORAL_ADDRESS (./faaster test passes its test server)"
API_PORT="${FAASTER_SMOKE_API_PORT:-18080}"
for port in "$API_PORT" 18090 19000; do
  tcp_open 127.0.0.1 "$port" && die "up-smoke: 127.0.0.1:$port is taken; stop what listens there"
done

WORK="$(mktemp -d /tmp/faaster-up-smoke.XXXXXX)"
SHM="/dev/shm/faaster-upsmoke-${WORK##*.}"
NODE=upsmoke
LOG="$WORK/up.log"
UP_PID=
finish() {
  local rc=$?
  if [[ -n "$UP_PID" ]] && pid_alive "$UP_PID"; then
    stop_pid "$UP_PID" "./faaster up (smoke)" 60
  fi
  # Whatever a failed run left: its own domains only.
  local d
  for d in $(virsh -c qemu:///system list --all --name 2>/dev/null | grep "^faaster-$NODE-" || true); do
    virsh -c qemu:///system destroy "$d" >/dev/null 2>&1 || true
    virsh -c qemu:///system undefine "$d" >/dev/null 2>&1 || true
  done
  rm -rf "$SHM"
  if ((rc != 0)); then
    warn "up-smoke failed; the last 60 lines of its log follow (all of it, and the run's state: $WORK)"
    tail -n 60 "$LOG" >&2 || true
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap finish EXIT

log "up-smoke: ./faaster up on 127.0.0.1:$API_PORT (state in $WORK; log $LOG)"
# setsid: a session of its own, apart from this script's.
FAASTER_UP_DATA="$WORK/data" FAASTER_API_PORT="$API_PORT" FAASTER_ZONE_CACHE_PORT=18090 \
  FAASTER_S3_EMBEDDED_PORT=19000 FAASTER_NODE_ID="$NODE" FAASTER_VM_RUN_DIR="$WORK/run" \
  FAASTER_VM_SHM_DIR="$SHM" setsid "$ROOT/faaster" up >"$LOG" 2>&1 &
UP_PID=$!

# Healthy, and both templates built or reused (a boot each under TCG: about a minute the first time).
ready() {
  grep -q "faaster is up" "$LOG" && grep -q "template python3: \(built\|reused\)" "$LOG" \
    && grep -q "template provided: \(built\|reused\)" "$LOG"
}
for ((i = 0; i < 600; i++)); do
  ready && break
  grep -q "template [a-z0-9]*: could not be built" "$LOG" && die "up-smoke: a template could not be built"
  pid_alive "$UP_PID" || die "up-smoke: ./faaster up exited during start-up"
  sleep 1
done
ready || die "up-smoke: not up with both templates after 10 minutes"

API="http://127.0.0.1:$API_PORT/v1"
ADMIN="$(head -n1 "$WORK/data/admin-token")"
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# request METHOD PATH TOKEN [curl args...]: prints the body; fails on a status >= 400.
request() {
  local method="$1" path="$2" token="$3"
  shift 3
  curl -fsS -X "$method" "$API$path" -H "Authorization: Bearer $token" "$@"
}

TENANT="$(request POST /tenants "$ADMIN" -H 'Content-Type: application/json' -d '{"name":"smoke"}' | json_field id)"
TOKEN="$(request POST "/tenants/$TENANT/tokens" "$ADMIN" -H 'Content-Type: application/json' \
  -d '{"description":"smoke"}' | json_field token)"

mkdir -p "$WORK/code/hello" "$WORK/code/echo"
printf 'def handler(event, context):\n    return {"hello": event}\n' >"$WORK/code/hello/main.py"
printf '#!/bin/sh\nprintf "you said: "; cat\n' >"$WORK/code/echo/bootstrap"
chmod +x "$WORK/code/echo/bootstrap"
(cd "$WORK/code/hello" && zip -q ../hello.zip main.py)
(cd "$WORK/code/echo" && zip -q ../echo.zip bootstrap)

request POST /functions "$TOKEN" -H 'Content-Type: application/json' \
  -d '{"name":"hello","runtime":"python3","handler":"main.handler","memoryMb":128,"timeoutSeconds":3}' >/dev/null
request POST /functions "$TOKEN" -H 'Content-Type: application/json' -d '{"name":"echo","runtime":"provided"}' >/dev/null
for fn in hello echo; do
  request PUT "/functions/$fn/code" "$TOKEN" -H 'Content-Type: application/zip' \
    --data-binary "@$WORK/code/$fn.zip" >/dev/null
  request POST "/functions/$fn/versions?wait=true" "$TOKEN" -H 'Content-Type: application/json' -d '{}' >/dev/null
done

# invoke FN EVENT EXPECTED_BODY EXPECTED_COLD: one invocation, its answer checked; prints the instance id.
invoke() {
  local fn="$1" event="$2" want="$3" cold="$4" headers="$WORK/headers" body
  body="$(request POST "/functions/$fn/invocations" "$TOKEN" -D "$headers" -d "$event")"
  [[ "$body" == "$want" ]] || die "up-smoke: $fn answered '$body', expected '$want'"
  grep -qi "^x-faaster-cold-start: $cold" "$headers" || die "up-smoke: $fn's answer is not cold=$cold: $(cat "$headers")"
  if [[ "$cold" == true ]]; then
    grep -qi '^server-timing: schedule;dur=.*total;dur=' "$headers" \
      || die "up-smoke: $fn's cold answer has no stage breakdown: $(cat "$headers")"
  fi
  grep -i '^x-faaster-instance-id:' "$headers" | tr -d '\r' | awk '{print $2}'
}
for fn in hello echo; do
  if [[ "$fn" == hello ]]; then event='{"n":1}' want='{"hello":{"n":1}}'
  else event='hi' want='you said: hi'; fi
  first="$(invoke "$fn" "$event" "$want" true)"
  second="$(invoke "$fn" "$event" "$want" false)"
  [[ -n "$first" && "$first" == "$second" ]] || die "up-smoke: $fn's warm answer came from $second, not $first"
  log "up-smoke: $fn answered cold, then warm on the same instance ($first)"
done

# The filter sees this run's domains (so that "none left" below means something).
live="$(virsh -c qemu:///system list --name | grep -c "^faaster-$NODE-" || true)"
((live >= 2)) || die "up-smoke: expected the two instances' VMs to run, found $live domain(s) of the node"

# SIGTERM, as a service manager stops it. Not SIGINT: a command started in the background by a
# script ignores it from the start (bash), and a handler can't be set for an ignored signal.
log "up-smoke: stopping ./faaster up (SIGTERM)"
kill -TERM "$UP_PID"
for ((i = 0; i < 600; i++)); do
  pid_alive "$UP_PID" || break
  sleep 0.1
done
pid_alive "$UP_PID" && die "up-smoke: ./faaster up still runs 60 s after SIGTERM"
wait "$UP_PID" 2>/dev/null || true
UP_PID=
left="$(virsh -c qemu:///system list --all --name | grep "^faaster-$NODE-" || true)"
[[ -z "$left" ]] || die "up-smoke: domains left after the stop: $left"
log "up-smoke: passed (README tour; nothing left after the stop)"
