#!/usr/bin/env bash
# Builds the Temporal CLI (dev server + Web UI in one binary) into <repo>/.tools/bin/temporal.
# Idempotent: does nothing when that binary already exists and is version 1.5.1.
# Exits non-zero (and says so) when it can't be built; ./faaster then falls back to the SDK's
# test server.
#
# Why go install: the machines reach the Go module proxy but not GitHub release downloads.
# v1.5.1 is the newest tag that `go install` accepts (later ones carry replace directives).
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TEMPORAL_CLI_VERSION=1.5.1
TOOLS_BIN="$FAASTER_ROOT/.tools/bin"
TEMPORAL_BIN="$TOOLS_BIN/temporal"
BUILD_LOG="$FAASTER_ROOT/.tools/temporal-build.log"

# temporal_ok: the binary exists and is $TEMPORAL_CLI_VERSION. `temporal --version` says
# 0.0.0-DEV unless the build set it with -ldflags, so the module version recorded in the
# binary's build info (go version -m) counts too.
temporal_ok() {
  local go
  [[ -x "$TEMPORAL_BIN" ]] || return 1
  if "$TEMPORAL_BIN" --version 2>/dev/null | grep -q "^temporal version $TEMPORAL_CLI_VERSION "; then
    return 0
  fi
  go="$(go_bin)" || return 1
  "$go" version -m "$TEMPORAL_BIN" 2>/dev/null |
    grep -qE "^[[:space:]]+mod[[:space:]]+github.com/temporalio/cli[[:space:]]+v$TEMPORAL_CLI_VERSION([[:space:]]|$)"
}

if temporal_ok; then
  log "temporal CLI $TEMPORAL_CLI_VERSION: present ($TEMPORAL_BIN)"
  exit 0
fi

GO="$(go_bin)" || die "temporal CLI: can't build it: no Go toolchain (go on PATH or /usr/local/go/bin/go)"

mkdir -p "$TOOLS_BIN"
# One build at a time: a second ./faaster waits for the first one's build instead of racing it.
exec 9>"$FAASTER_ROOT/.tools/temporal-build.lock"
if ! flock -n 9; then
  log "temporal CLI: another build is running; waiting for it"
  flock 9
  if temporal_ok; then
    log "temporal CLI $TEMPORAL_CLI_VERSION: built by the other run ($TEMPORAL_BIN)"
    exit 0
  fi
fi

log "temporal CLI $TEMPORAL_CLI_VERSION: building with $("$GO" version | awk '{print $3}') into $TOOLS_BIN"
log "  (first build downloads ~300 modules and compiles the Temporal server: about 5-15 min on"
log "   2 cores; later builds reuse Go's caches. Log: $BUILD_LOG)"
start=$SECONDS
# Progress: go prints "go: downloading ..." lines; every 30 s say we're still at it.
(
  while sleep 30; do
    log "  ... still building ($((SECONDS - start))s; $(grep -c 'downloading' "$BUILD_LOG" 2>/dev/null || echo 0) modules downloaded)"
  done
) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true' EXIT

rc=0
GOBIN="$TOOLS_BIN" "$GO" install \
  -ldflags "-X github.com/temporalio/cli/temporalcli.Version=$TEMPORAL_CLI_VERSION" \
  "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" >"$BUILD_LOG" 2>&1 || rc=$?

if ((rc != 0)) || ! temporal_ok; then
  tail -n 20 "$BUILD_LOG" >&2 || true
  die "temporal CLI: could not build v$TEMPORAL_CLI_VERSION with go install (exit $rc; log: $BUILD_LOG)"
fi
log "temporal CLI $TEMPORAL_CLI_VERSION: built in $((SECONDS - start))s ($TEMPORAL_BIN)"
