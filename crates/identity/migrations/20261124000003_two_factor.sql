-- TOTP second factor (RFC 6238). `last_step` is the newest 30-second step a code was accepted
-- for, so a code cannot be used twice.
CREATE TABLE totp_factors (
    user_id      TEXT PRIMARY KEY REFERENCES users (id),
    secret       TEXT NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- One-time recovery codes, stored hashed.
CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
