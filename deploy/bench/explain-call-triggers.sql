-- Where a 46-row insert and update of calls spend their time (the drainer's statement shapes, cut down to the columns
-- that matter to the triggers), six batches in one session: the first pays for compiling the trigger functions and
-- planning their statements, the later ones run the cached plans as the drainer's pooled connections do. The insert
-- and the update commit separately, as a call's start and end do; the rows are deleted at the end.
-- Run on a migrated database with a project:
--   psql -d DB -v project=ID -f deploy/bench/explain-call-triggers.sql | grep -E 'Trigger|Execution'
\set ON_ERROR_STOP on
CREATE TEMP TABLE explained (id uuid);
PREPARE ins(uuid[], bigint) AS
    INSERT INTO calls (id, project_id, callee, started_at) SELECT u, $2, '74951234567', now() FROM unnest($1) AS u ON CONFLICT (id) DO NOTHING;
PREPARE upd(uuid[]) AS
    UPDATE calls c SET status = 'ANSWER', ended_at = now() FROM unnest($1) AS u WHERE c.id = u;

\ir explain-call-batch.sql
\ir explain-call-batch.sql
\ir explain-call-batch.sql
\ir explain-call-batch.sql
\ir explain-call-batch.sql
\ir explain-call-batch.sql

DELETE FROM calls WHERE id IN (SELECT id FROM explained);
