-- One 46-row batch of deploy/bench/explain-call-triggers.sql (which includes it six times): new ids, the insert, then
-- the update, each explained.
SELECT array_agg(gen_random_uuid()) AS ids FROM generate_series(1, 46) \gset
INSERT INTO explained SELECT unnest(:'ids'::uuid[]);
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE ins(:'ids', :project);
EXPLAIN (ANALYZE, COSTS OFF) EXECUTE upd(:'ids');
