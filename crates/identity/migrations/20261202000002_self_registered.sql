-- Whether the person created the account themselves (1) rather than the school (0). Until such
-- an account confirms its address (email_verified_at), nothing takes it to own that address:
-- imports and course rosters do not match it by email. Accounts from before this column are
-- taken as the school's.
ALTER TABLE users ADD COLUMN self_registered BIGINT NOT NULL DEFAULT 0;
