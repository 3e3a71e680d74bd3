-- Where a node serves invocations of its instances (its data plane): an API process whose router
-- is not in the node's own process sends each invocation there. NULL: not published yet (the node
-- publishes it once its HTTP server listens).
ALTER TABLE nodes ADD COLUMN data_plane_url VARCHAR(255) NULL;
