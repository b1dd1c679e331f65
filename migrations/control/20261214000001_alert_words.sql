-- An alert's values (what crossed, whose, by how much) as `alerts::Words`, so each reader
-- is told it in their own language at display time. `message` stays the platform's
-- English sentence: the webhook's and the audit's, and what rows older than this show.
alter table usage_alerts add column words jsonb;
