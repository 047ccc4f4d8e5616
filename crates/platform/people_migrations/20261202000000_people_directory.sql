-- The people directory: the school's people as identity last announced them, kept in the
-- database of each context that switches the directory on. Only the directory's subscription
-- to identity's events writes it; the context's own queries may join it (for names).
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. `IF NOT EXISTS`, because the courses
-- context created the same table itself before the directory existed.
CREATE TABLE IF NOT EXISTS people (
    user_id      TEXT PRIMARY KEY,
    school_id    TEXT NOT NULL,
    -- lower-cased, as identity stores it
    email        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    -- student | teacher | school_admin | super_admin
    role         TEXT NOT NULL,
    -- active | deactivated
    status       TEXT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS people_school_email ON people (school_id, email);

-- What the web pages and notifications show a person in: their language and time zone.
ALTER TABLE people ADD COLUMN locale TEXT;
ALTER TABLE people ADD COLUMN time_zone TEXT;
