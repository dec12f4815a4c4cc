-- Totals per project and status, kept by trigger, so call/list answers "total" for the common unfiltered and
-- status-only queries without counting a million rows (measured: ~220 ms for count(*) over 1M calls).
CREATE TABLE call_totals (
    project_id  bigint NOT NULL,
    status      text NOT NULL,
    n           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, status)
);

CREATE FUNCTION call_totals_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE call_totals SET n = n - 1 WHERE project_id = OLD.project_id AND status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO call_totals (project_id, status, n) VALUES (NEW.project_id, NEW.status, 1)
        ON CONFLICT (project_id, status) DO UPDATE SET n = call_totals.n + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER calls_totals_insert_delete AFTER INSERT OR DELETE ON calls FOR EACH ROW EXECUTE FUNCTION call_totals_track();
CREATE TRIGGER calls_totals_status AFTER UPDATE OF status ON calls FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION call_totals_track();

INSERT INTO call_totals (project_id, status, n) SELECT project_id, status, count(*) FROM calls GROUP BY 1, 2;
