-- Which API process (router) owns which instance, so that the instances of a router that died are
-- found and retired. A router heartbeats its row; one silent longer than the lease is marked GONE by
-- one conditional UPDATE (so with several API processes exactly one decides it), as is one that shut
-- down. An instance row is written before its cold start is asked for and deleted once the instance
-- is handed to the retirer. A live router adopts a GONE router's instance by one conditional UPDATE
-- (router_id dead -> itself) before it retires it, so one process retires each orphan.

CREATE TABLE routers (
  id            VARCHAR(36)   NOT NULL PRIMARY KEY,
  host          VARCHAR(255)  NOT NULL,
  -- LIVE or GONE (shut down, or no heartbeat within the lease).
  state         VARCHAR(16)   NOT NULL,
  heartbeat_at  DATETIME(3)   NOT NULL,
  started_at    DATETIME(3)   NOT NULL
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_routers_state ON routers (state, heartbeat_at);

-- No foreign key to routers: an instance whose router row is missing counts as orphaned.
CREATE TABLE router_instances (
  instance_id   VARCHAR(36)   NOT NULL PRIMARY KEY,
  router_id     VARCHAR(36)   NOT NULL,
  -- Known once the cold start completed; NULL while it runs.
  node_id       VARCHAR(64)   NULL,
  function_id   VARCHAR(36)   NOT NULL,
  version       INT           NOT NULL,
  created_at    DATETIME(3)   NOT NULL
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX ix_router_instances_router ON router_instances (router_id);
