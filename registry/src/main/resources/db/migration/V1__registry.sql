-- The function registry. Portable between H2 (MODE=MySQL) and MySQL/MariaDB: plain types only.
-- DATETIME, not TIMESTAMP: with explicit_defaults_for_timestamp=OFF (MySQL 5.7, MariaDB <= 10.9) the
-- first TIMESTAMP column silently becomes ON UPDATE CURRENT_TIMESTAMP and every update rewrites created_at.
-- Binary collation: names compare and sort case-sensitively, byte by byte, as on H2 (MariaDB's default
-- utf8mb4_general_ci would make 'Fn' and 'fn' the same name there only).

CREATE TABLE tenants (
  id          VARCHAR(36)  NOT NULL PRIMARY KEY,
  name        VARCHAR(63)  NOT NULL,
  created_at  DATETIME(3) NOT NULL,
  CONSTRAINT uq_tenants_name UNIQUE (name)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Tokens are stored as sha256 of the secret: 256 random bits need no slow hash.
CREATE TABLE api_tokens (
  id           VARCHAR(36)  NOT NULL PRIMARY KEY,
  tenant_id    VARCHAR(36)  NULL,
  token_hash   CHAR(64)     NOT NULL,
  admin        BOOLEAN      NOT NULL,
  description  VARCHAR(256) NULL,
  created_at   DATETIME(3) NOT NULL,
  CONSTRAINT uq_api_tokens_hash UNIQUE (token_hash),
  CONSTRAINT fk_api_tokens_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE functions (
  id               VARCHAR(36)   NOT NULL PRIMARY KEY,
  tenant_id        VARCHAR(36)   NOT NULL,
  name             VARCHAR(64)   NOT NULL,
  runtime          VARCHAR(32)   NOT NULL,
  handler          VARCHAR(128)  NULL,
  memory_mb        INT           NOT NULL,
  timeout_seconds  INT           NOT NULL,
  environment      TEXT          NOT NULL,
  vpc_config       TEXT          NOT NULL,
  description      VARCHAR(256)  NULL,
  code_sha256      CHAR(64)      NULL,
  code_size_bytes  BIGINT        NULL,
  code_staging_key VARCHAR(256)  NULL,
  next_version     INT           NOT NULL,
  revision         BIGINT        NOT NULL,
  created_at       DATETIME(3)  NOT NULL,
  updated_at       DATETIME(3)  NOT NULL,
  CONSTRAINT uq_functions_tenant_name UNIQUE (tenant_id, name),
  CONSTRAINT fk_functions_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE deployments (
  id               VARCHAR(36)   NOT NULL PRIMARY KEY,
  tenant_id        VARCHAR(36)   NOT NULL,
  function_id      VARCHAR(36)   NOT NULL,
  function_name    VARCHAR(64)   NOT NULL,
  version          INT           NOT NULL,
  workflow_id      VARCHAR(200)  NOT NULL,
  status           VARCHAR(16)   NOT NULL,
  code_sha256      CHAR(64)      NOT NULL,
  code_size_bytes  BIGINT        NOT NULL,
  staging_key      VARCHAR(256)  NOT NULL,
  runtime          VARCHAR(32)   NOT NULL,
  handler          VARCHAR(128)  NULL,
  memory_mb        INT           NOT NULL,
  timeout_seconds  INT           NOT NULL,
  environment      TEXT          NOT NULL,
  vpc_config       TEXT          NOT NULL,
  description      VARCHAR(256)  NULL,
  failure_reason   VARCHAR(1024) NULL,
  created_at       DATETIME(3)  NOT NULL,
  updated_at       DATETIME(3)  NOT NULL,
  CONSTRAINT uq_deployments_function_version UNIQUE (function_id, version),
  CONSTRAINT fk_deployments_function FOREIGN KEY (function_id) REFERENCES functions (id) ON DELETE CASCADE
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_deployments_sha256 ON deployments (code_sha256);

CREATE TABLE function_versions (
  id               VARCHAR(36)   NOT NULL PRIMARY KEY,
  tenant_id        VARCHAR(36)   NOT NULL,
  function_id      VARCHAR(36)   NOT NULL,
  deployment_id    VARCHAR(36)   NOT NULL,
  version          INT           NOT NULL,
  code_sha256      CHAR(64)      NOT NULL,
  code_size_bytes  BIGINT        NOT NULL,
  package_key      VARCHAR(256)  NOT NULL,
  runtime          VARCHAR(32)   NOT NULL,
  handler          VARCHAR(128)  NULL,
  memory_mb        INT           NOT NULL,
  timeout_seconds  INT           NOT NULL,
  environment      TEXT          NOT NULL,
  vpc_config       TEXT          NOT NULL,
  description      VARCHAR(256)  NULL,
  created_at       DATETIME(3)  NOT NULL,
  CONSTRAINT uq_versions_function_version UNIQUE (function_id, version),
  CONSTRAINT uq_versions_deployment UNIQUE (deployment_id),
  CONSTRAINT fk_versions_function FOREIGN KEY (function_id) REFERENCES functions (id) ON DELETE CASCADE
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_versions_sha256 ON function_versions (code_sha256);

-- An alias points at one version, or splits traffic between two by weight (percent, summing to 100).
CREATE TABLE aliases (
  id                 VARCHAR(36)  NOT NULL PRIMARY KEY,
  tenant_id          VARCHAR(36)  NOT NULL,
  function_id        VARCHAR(36)  NOT NULL,
  name               VARCHAR(64)  NOT NULL,
  version            INT          NOT NULL,
  weight             INT          NOT NULL,
  additional_version INT          NULL,
  additional_weight  INT          NULL,
  description        VARCHAR(256) NULL,
  revision           BIGINT       NOT NULL,
  created_at         DATETIME(3) NOT NULL,
  updated_at         DATETIME(3) NOT NULL,
  CONSTRAINT uq_aliases_function_name UNIQUE (function_id, name),
  CONSTRAINT fk_aliases_function FOREIGN KEY (function_id) REFERENCES functions (id) ON DELETE CASCADE
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
