#!/bin/bash
# Runs once, on the MySQL container's first start (empty volume), from
# /docker-entrypoint-initdb.d. Creates the platform's database and Temporal's two, each with
# its own user. Passwords come from the container's environment (see docker-compose.yml).
set -euo pipefail

: "${FAASTER_DB_PASSWORD:?}" "${TEMPORAL_DB_PASSWORD:?}" "${MYSQL_ROOT_PASSWORD:?}"

mysql --protocol=socket -uroot -p"$MYSQL_ROOT_PASSWORD" <<SQL
CREATE DATABASE IF NOT EXISTS faaster CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci;
CREATE DATABASE IF NOT EXISTS temporal;
CREATE DATABASE IF NOT EXISTS temporal_visibility;

-- mysql_native_password: the platform connects with MariaDB Connector/J over a plain (non-TLS)
-- connection, where caching_sha2_password's first login would need RSA key retrieval.
CREATE USER IF NOT EXISTS 'faaster'@'%' IDENTIFIED WITH mysql_native_password BY '$FAASTER_DB_PASSWORD';
GRANT ALL PRIVILEGES ON faaster.* TO 'faaster'@'%';

CREATE USER IF NOT EXISTS 'temporal'@'%' IDENTIFIED BY '$TEMPORAL_DB_PASSWORD';
GRANT ALL PRIVILEGES ON temporal.* TO 'temporal'@'%';
GRANT ALL PRIVILEGES ON temporal_visibility.* TO 'temporal'@'%';
FLUSH PRIVILEGES;
SQL
