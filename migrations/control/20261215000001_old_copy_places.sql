-- A job may now leave more than one copy behind: a move from an isolated database to the
-- pooled tier leaves the source and the scratch database it renamed the schema in; a
-- pooled restore leaves its scratch database. Each is dropped by the old-copy sweep once
-- the tenant is back, so the checkpoint of `DROP DATABASE` never falls inside a
-- suspension. One record per job and place.
alter table tenant_old_copies drop constraint tenant_old_copies_job_id_key;
alter table tenant_old_copies add constraint tenant_old_copies_job_place_key
    unique (job_id, db_server_id, database_name);
