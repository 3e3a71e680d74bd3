-- The lightweight scheduler: nodes register their capacity and heartbeat; each node's capacity is cut
-- into slots of the standard flavors ahead of time. A slot is free while instance_id is NULL; taking
-- it is one conditional UPDATE (instance_id NULL -> the instance), so two control processes can never
-- hand out one slot twice, and the unique instance_id makes a retried reservation find its slot.

CREATE TABLE nodes (
  id             VARCHAR(64)   NOT NULL PRIMARY KEY,
  zone           VARCHAR(64)   NOT NULL,
  memory_mb      INT           NOT NULL,
  vcpus          INT           NOT NULL,
  -- SlotPlan.signature() of the plan the slots were last cut by: a node re-registering with the same
  -- plan leaves its slots (and whatever the rebalancer made of them) alone.
  slot_plan      VARCHAR(128)  NOT NULL,
  -- LIVE or LOST (heartbeat older than the control plane's node timeout).
  state          VARCHAR(16)   NOT NULL,
  heartbeat_at   DATETIME(3)   NOT NULL,
  registered_at  DATETIME(3)   NOT NULL
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_nodes_state ON nodes (state, heartbeat_at);

CREATE TABLE slots (
  -- node/flavor@offset: the same plan on the same node names the same slots.
  id           VARCHAR(100)  NOT NULL PRIMARY KEY,
  node_id      VARCHAR(64)   NOT NULL,
  flavor_mb    INT           NOT NULL,
  offset_mb    INT           NOT NULL,
  instance_id  VARCHAR(36)   NULL,
  reserved_at  DATETIME(3)   NULL,
  CONSTRAINT uq_slots_instance UNIQUE (instance_id),
  CONSTRAINT fk_slots_node FOREIGN KEY (node_id) REFERENCES nodes (id) ON DELETE CASCADE
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_slots_node ON slots (node_id, instance_id);
