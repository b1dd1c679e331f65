-- The pooled tier's login role on each db server (`tenantry_gw_<server id>`): NOINHERIT,
-- no privileges of its own, a member of every pooled tenant's role. Its random password,
-- AES-256-GCM with the master key (nonce ‖ ciphertext); null until the role is first made.
alter table db_servers add column gateway_password_enc bytea;
