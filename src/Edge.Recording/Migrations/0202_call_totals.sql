-- Totals per project and status, kept by statement-level triggers (one upsert per project and status per
-- statement, so bulk loads stay linear), so call/list answers "total" for the common unfiltered and status-only
-- queries without counting a million rows (measured: ~220 ms for count(*) over 1M calls).
CREATE TABLE call_totals (
    project_id  bigint NOT NULL,
    status      text NOT NULL,
    n           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, status)
);

CREATE FUNCTION call_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO call_totals (project_id, status, n)
    SELECT project_id, status, count(*) FROM new_rows GROUP BY 1, 2
    ON CONFLICT (project_id, status) DO UPDATE SET n = call_totals.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE FUNCTION call_totals_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE call_totals t SET n = t.n - d.n
    FROM (SELECT project_id, status, count(*) AS n FROM old_rows GROUP BY 1, 2) d
    WHERE t.project_id = d.project_id AND t.status = d.status;
    RETURN NULL;
END $$;

CREATE FUNCTION call_totals_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE call_totals t SET n = t.n - d.n
    FROM (SELECT project_id, status, count(*) AS n FROM old_rows GROUP BY 1, 2) d
    WHERE t.project_id = d.project_id AND t.status = d.status;
    INSERT INTO call_totals (project_id, status, n)
    SELECT project_id, status, count(*) FROM new_rows GROUP BY 1, 2
    ON CONFLICT (project_id, status) DO UPDATE SET n = call_totals.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE TRIGGER calls_totals_insert AFTER INSERT ON calls REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION call_totals_add();
CREATE TRIGGER calls_totals_delete AFTER DELETE ON calls REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION call_totals_remove();
CREATE TRIGGER calls_totals_update AFTER UPDATE ON calls REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION call_totals_move();

INSERT INTO call_totals (project_id, status, n) SELECT project_id, status, count(*) FROM calls GROUP BY 1, 2;
