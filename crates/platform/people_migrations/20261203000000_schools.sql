-- The schools the directory's people belong to, as identity last announced them: what a
-- context needs to read a school's calendar (due dates and windows in the school's time zone).
CREATE TABLE IF NOT EXISTS schools (
    school_id  TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    -- an IANA time zone name
    time_zone  TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
