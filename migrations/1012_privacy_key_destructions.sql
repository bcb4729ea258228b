-- How many statements that destroyed data keys have committed (src/privacy/keyDestructionNotice.ts): every
-- process reads this one row every few seconds and drops what it holds opened with data keys when the
-- number moved, so a destruction reaches it even when the Redis notice did not. A trigger moves it, in the
-- transaction that destroys the keys, whichever code destroys them (the key store, legal holds' erasure
-- and retention selections).
CREATE TABLE IF NOT EXISTS privacy_key_destructions (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  destructions bigint NOT NULL
);
INSERT INTO privacy_key_destructions (destructions) VALUES (0) ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION privacy_count_key_destructions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (
    SELECT FROM destroyed_keys n JOIN keys_before o USING (key_id)
    WHERE o.destroyed_at IS NULL AND n.destroyed_at IS NOT NULL
  ) THEN
    UPDATE privacy_key_destructions SET destructions = destructions + 1;
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS privacy_key_destructions_count ON privacy_data_keys;
CREATE TRIGGER privacy_key_destructions_count
  AFTER UPDATE ON privacy_data_keys
  REFERENCING OLD TABLE AS keys_before NEW TABLE AS destroyed_keys
  FOR EACH STATEMENT EXECUTE FUNCTION privacy_count_key_destructions();
