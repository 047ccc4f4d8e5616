-- Failed sign-ins per (school, email), whether or not the account exists, so lockout neither
-- lets a password be guessed nor tells which accounts exist.
CREATE TABLE login_throttle (
    school_slug  TEXT NOT NULL,
    email        TEXT NOT NULL,
    failures     BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (school_slug, email)
);
