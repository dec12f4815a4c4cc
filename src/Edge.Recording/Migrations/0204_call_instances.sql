-- Which edge recorded a call: the identity of its spool (a file in the spool directory, made on first start). A call
-- in progress when its edge stopped without ending it (a crash, a kill) has no end event anywhere; at its next start
-- that edge closes its own calls still ACTIVE from before the start. Calls recorded through the API have none.
ALTER TABLE calls ADD COLUMN edge_instance uuid;
