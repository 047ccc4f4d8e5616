-- Schools (tenants), their people, credentials, sessions and the keys tokens are signed with.

CREATE TABLE schools (
    id           TEXT PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    -- open | code | invite
    registration TEXT NOT NULL,
    join_code    TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE users (
    id           TEXT PRIMARY KEY,
    school_id    TEXT NOT NULL REFERENCES schools (id),
    -- stored lower-cased, so uniqueness ignores case
    email        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL,
    -- active | deactivated
    status       TEXT NOT NULL,
    bio          TEXT,
    avatar_url   TEXT,
    grade_level  TEXT,
    locale       TEXT,
    time_zone    TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (school_id, email)
);

CREATE TABLE credentials (
    user_id       TEXT PRIMARY KEY REFERENCES users (id),
    password_hash TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- Refresh tokens are stored hashed. Each login starts a family; refreshing uses one token
-- and issues the next; presenting a used token revokes the whole family.
CREATE TABLE refresh_tokens (
    id         TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    school_id  TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Ed25519 signing keys. A key signs until `retire_at`, then only verifies until `expires_at`
-- (when every token it signed has expired).
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    private_key TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    retire_at   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
