-- Sign-in attempts are counted before their credentials are checked: `pending` is how many
-- attempts for the pair are being checked right now, so a burst of parallel attempts cannot
-- all be checked before the first failure locks the pair.
ALTER TABLE login_throttle ADD COLUMN pending BIGINT NOT NULL DEFAULT 0;
