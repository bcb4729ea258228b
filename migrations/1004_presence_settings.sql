-- A user's presence settings (src/presence/presenceSettings.ts): invisible users show as offline to
-- everyone. Not presence itself (that is in Redis and may be lost), but a choice the user made, so it lives
-- where nothing is lost: a Redis that restarts must not make an invisible user visible.
CREATE TABLE IF NOT EXISTS presence_settings (
  user_id text PRIMARY KEY,
  invisible boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
