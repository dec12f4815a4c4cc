-- An update moves calls between totals only where it changes their status or project. The function of 0202
-- subtracted every updated row and added it back, so an update of any other column (the webhook dispatcher's
-- webhook_state, the recording columns, a replayed segment) still wrote the (project, status) totals rows and held
-- their locks to the end of its transaction. The dispatcher's transaction spans its HTTP deliveries (up to 20 of up
-- to Webhooks:TimeoutSeconds each), and every segment the drainer applied for that project meanwhile waited on those
-- rows. Now the old and new rows are netted per project and status and only non-zero differences are written, in one
-- statement instead of two: nothing at all for an update that leaves status and project alone.
-- (A column list, AFTER UPDATE OF status, would skip the trigger for such updates, but PostgreSQL refuses column lists
-- on triggers with transition tables, and a row-level trigger would run once per call for the drainer's updates.)
CREATE OR REPLACE FUNCTION call_totals_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO call_totals (project_id, status, n)
    SELECT project_id, status, sum(d) FROM (
        SELECT project_id, status, -1 AS d FROM old_rows
        UNION ALL
        SELECT project_id, status, 1 FROM new_rows) AS moved
    GROUP BY 1, 2 HAVING sum(d) <> 0
    ON CONFLICT (project_id, status) DO UPDATE SET n = call_totals.n + EXCLUDED.n;
    RETURN NULL;
END $$;
