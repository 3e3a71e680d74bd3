#!/usr/bin/env bash
# A throw-away MariaDB server for the MySQL-dialect tests, run directly as a background process
# (no systemd / service: this host's policy-rc.d forbids service starts).
#
#   test-mariadb.sh start    initialise the datadir if needed, start, (re)create database and user
#   test-mariadb.sh stop
#   test-mariadb.sh status
#
# Environment (defaults in brackets):
#   FAASTER_TEST_MYSQL_PORT [3307]  FAASTER_TEST_MYSQL_DIR [.data/test/mariadb]
#   FAASTER_TEST_MYSQL_DATABASE [faaster_test]  FAASTER_TEST_MYSQL_USER [faaster]
#   FAASTER_TEST_MYSQL_PASSWORD [faaster]
# It binds 127.0.0.1 only, keeps its own datadir, socket, pid file and error log under the dir,
# and ignores /etc/mysql (--no-defaults). The database is dropped and created again on every
# start so each test run begins empty.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

port="${FAASTER_TEST_MYSQL_PORT:-3307}"
dir="${FAASTER_TEST_MYSQL_DIR:-$FAASTER_ROOT/.data/test/mariadb}"
database="${FAASTER_TEST_MYSQL_DATABASE:-faaster_test}"
user="${FAASTER_TEST_MYSQL_USER:-faaster}"
password="${FAASTER_TEST_MYSQL_PASSWORD:-faaster}"
datadir="$dir/data"
socket="$dir/mariadb.sock"
# A unix socket path must fit in 108 bytes; a deep checkout (CI) may not leave room.
if ((${#socket} > 100)); then
  socket="/tmp/faaster-mariadb-$(printf '%s' "$dir" | sha1sum | cut -c1-12).sock"
fi
pidfile="$dir/mariadb.pid"
logf="$dir/mariadb.err"
timeout="${FAASTER_TEST_MYSQL_START_TIMEOUT:-60}"

find_cmd() {
  local c
  for c in "$@"; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
    for d in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
      [[ -x "$d/$c" ]] && { echo "$d/$c"; return 0; }
    done
  done
  return 1
}

client() {
  "$CLIENT" --no-defaults --socket="$socket" -uroot "$@"
}

case "${1:-}" in
  start)
    SERVER="$(find_cmd mariadbd mysqld)" || die "no mariadbd/mysqld (run infra/scripts/setup-host.sh)"
    CLIENT="$(find_cmd mariadb mysql)" || die "no mariadb/mysql client (run infra/scripts/setup-host.sh)"
    INSTALL_DB="$(find_cmd mariadb-install-db mysql_install_db)" || die "no mariadb-install-db"
    mkdir -p "$dir"
    # A server a killed run left behind: stop it first.
    stop_pidfile "$pidfile" "leftover test MariaDB" "$datadir" 30
    if tcp_open 127.0.0.1 "$port"; then
      die "port 127.0.0.1:$port is taken by a process this script didn't start; stop it or set FAASTER_TEST_MYSQL_URL (and _USER/_PASSWORD) to use another server"
    fi
    os_user="$(id -un)"
    if [[ ! -d "$datadir/mysql" ]]; then
      log "test MariaDB: initialising $datadir"
      rm -rf "$datadir"
      mkdir -p "$datadir"
      # normal: root@localhost with an empty password, so any OS user can connect over the socket.
      "$INSTALL_DB" --no-defaults --datadir="$datadir" --user="$os_user" \
        --auth-root-authentication-method=normal --skip-test-db \
        >"$dir/install-db.log" 2>&1 || { tail -n 20 "$dir/install-db.log" >&2; die "mariadb-install-db failed (log: $dir/install-db.log)"; }
    fi
    log "test MariaDB: starting on 127.0.0.1:$port (datadir $datadir, log $logf)"
    nohup "$SERVER" --no-defaults \
      --user="$os_user" \
      --datadir="$datadir" --socket="$socket" --pid-file="$dir/mariadbd.pid" \
      --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
      --log-error="$logf" \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
      --innodb-buffer-pool-size=64M --innodb-log-file-size=32M \
      --max-connections=200 \
      </dev/null >>"$dir/mariadbd.out" 2>&1 &
    pid=$!
    echo "$pid" >"$pidfile"
    start=$SECONDS
    until client -e 'SELECT 1' >/dev/null 2>&1 && tcp_open 127.0.0.1 "$port"; do
      if ! pid_alive "$pid"; then
        tail -n 30 "$logf" >&2 2>/dev/null || true
        rm -f "$pidfile"
        die "test MariaDB exited during startup (log: $logf)"
      fi
      if ((SECONDS - start >= timeout)); then
        tail -n 30 "$logf" >&2 2>/dev/null || true
        stop_pid "$pid" "test MariaDB" 20
        rm -f "$pidfile"
        die "test MariaDB did not answer within ${timeout}s (log: $logf)"
      fi
      sleep 0.3
    done
    client <<SQL
DROP DATABASE IF EXISTS \`$database\`;
CREATE DATABASE \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$password';
ALTER USER '$user'@'%' IDENTIFIED BY '$password';
ALTER USER '$user'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO '$user'@'%';
GRANT ALL PRIVILEGES ON *.* TO '$user'@'localhost';
FLUSH PRIVILEGES;
SQL
    log "test MariaDB: ready in $((SECONDS - start))s: jdbc:mariadb://127.0.0.1:$port/$database (user $user)"
    ;;
  stop)
    stop_pidfile "$pidfile" "test MariaDB" "$datadir" 60
    ;;
  status)
    if pid="$(pidfile_pid "$pidfile" "$datadir")"; then
      echo "running (pid $pid) on 127.0.0.1:$port"
    else
      echo "not running"
      exit 3
    fi
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
