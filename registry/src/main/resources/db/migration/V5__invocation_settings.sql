-- Invocation settings of a function (not versioned: they apply to every version at once, as Lambda's
-- reserved concurrency does).
-- reserved_concurrency: at most this many invocations of the function run at once; NULL = the
-- platform's default limit; 0 = every invocation is throttled.
-- snap_start: cold starts restore the runtime's saved template (TRUE) or boot a full VM (FALSE).
ALTER TABLE functions ADD COLUMN reserved_concurrency INT NULL;
ALTER TABLE functions ADD COLUMN snap_start BOOLEAN NOT NULL DEFAULT TRUE;
