-- Calls of dynamic scripts per hour and how many of them were attributed exclusively: a script's accuracy is the
-- exclusive share over the last 7 days. Rows older than 8 days are dropped as new hours start.
CREATE TABLE script_call_hours (
    script_id   bigint NOT NULL REFERENCES scripts (id) ON DELETE CASCADE,
    hour        timestamptz NOT NULL,
    calls       integer NOT NULL DEFAULT 0,
    exclusive   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (script_id, hour)
);
