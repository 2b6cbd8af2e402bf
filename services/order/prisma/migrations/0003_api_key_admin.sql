-- Instance API keys managed through /admin/api-keys beside those of API_KEYS (libs/http's
-- apiKeyAdminRoutes). `origin` tells them apart: at each start API_KEYS replaces the 'config'
-- keys only, so 'admin' keys survive restarts. A revoked key keeps its row (and stops
-- authenticating at once); `id` names a key without revealing anything of it.
ALTER TABLE api_keys
  ADD COLUMN id         text        NOT NULL DEFAULT gen_random_uuid()::text,
  ADD COLUMN origin     text        NOT NULL DEFAULT 'config' CHECK (origin IN ('config', 'admin')),
  ADD COLUMN revoked_at timestamptz;
CREATE UNIQUE INDEX api_keys_id_key ON api_keys (id);

-- Who made or revoked which key: the admin token is one identity, so the request ID and the
-- address it came from. No foreign key: a config key taken out of API_KEYS is deleted, and its
-- history stays.
CREATE TABLE api_key_audit (
  id             bigserial   PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  action         text        NOT NULL CHECK (action IN ('created', 'revoked')),
  key_id         text        NOT NULL,
  instance_id    text        NOT NULL,
  request_id     text        NOT NULL,
  remote_address text
);
CREATE INDEX api_key_audit_key_id_idx ON api_key_audit (key_id, id);
