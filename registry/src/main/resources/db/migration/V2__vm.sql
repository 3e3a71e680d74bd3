-- Micro VM templates and instances. A template belongs to the node whose /dev/shm holds its
-- memory and device state; an instance to the node whose hypervisor runs it.

CREATE TABLE templates (
  id                VARCHAR(36)   NOT NULL PRIMARY KEY,
  node_id           VARCHAR(64)   NOT NULL,
  runtime           VARCHAR(32)   NOT NULL,
  -- sha256 over everything the saved state depends on: kernel, initramfs, QEMU version,
  -- machine type, accelerator, memory. Different inputs, different template: never reused.
  inputs_digest     CHAR(64)      NOT NULL,
  kernel_digest     CHAR(64)      NOT NULL,
  initramfs_digest  CHAR(64)      NOT NULL,
  qemu_version      VARCHAR(64)   NOT NULL,
  machine           VARCHAR(32)   NOT NULL,
  accelerator       VARCHAR(8)    NOT NULL,
  memory_mb         INT           NOT NULL,
  memory_path       VARCHAR(512)  NOT NULL,
  state_path        VARCHAR(512)  NOT NULL,
  state_bytes       BIGINT        NOT NULL,
  boot_millis       BIGINT        NOT NULL,
  status            VARCHAR(16)   NOT NULL,
  created_at        DATETIME(3)   NOT NULL,
  CONSTRAINT uq_templates_node_inputs UNIQUE (node_id, runtime, inputs_digest)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE instances (
  id             VARCHAR(36)   NOT NULL PRIMARY KEY,
  node_id        VARCHAR(64)   NOT NULL,
  template_id    VARCHAR(36)   NOT NULL,
  domain_name    VARCHAR(128)  NOT NULL,
  domain_uuid    CHAR(36)      NOT NULL,
  mac            CHAR(17)      NOT NULL,
  hostname       VARCHAR(64)   NOT NULL,
  ip             VARCHAR(45)   NULL,
  state          VARCHAR(16)   NOT NULL,
  created_at     DATETIME(3)   NOT NULL,
  updated_at     DATETIME(3)   NOT NULL,
  CONSTRAINT uq_instances_domain UNIQUE (domain_name)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_instances_node ON instances (node_id, state);
